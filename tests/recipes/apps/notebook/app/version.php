<?php
// Read by the recipe's read_version and detect_install; shown on the front page.
const NOTEBOOK_VERSION = '1.2.0';
