<?php
require __DIR__ . '/version.php';
require __DIR__ . '/config.php'; // written by the installer (the recipe), not in the package
$h = function ($s) { return htmlspecialchars((string) $s, ENT_QUOTES); };
$notes = @file_get_contents(__DIR__ . '/data/notes.txt');
?><!doctype html>
<html><head><meta charset="utf-8"><title><?= $h(NB_TITLE) ?></title></head>
<body class="theme-<?= $h(NB_THEME) ?>">
<h1 id="title"><?= $h(NB_TITLE) ?></h1>
<p id="home">Home: <?= $h(NB_URL) ?></p>
<?php if (NB_SHOW_NOTES === '1'): ?>
<div id="notes"><?= $h($notes) ?></div>
<?php else: ?>
<p id="hidden">Notes are hidden.</p>
<?php endif; ?>
<p id="version">Notebook <?= $h(NOTEBOOK_VERSION) ?></p>
</body></html>
