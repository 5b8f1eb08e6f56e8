<?php
// Section 3.17.1 of the integration guide, as written; only the key, the host and the
// final header("Location: ...") (printed instead) differ.
$query = array(
/* these values define the request header: */
// Note: "key" is the "key=" from /usr/local/installatron/etc/settings.ini
"key" => getenv("ITRON_KEY"),
"websites" => array(
array(
"id" => "website123",
"label" => "website.com",
"path" => "ftp://".urlencode("website123")."@12.24.35.11",
"vhosts" => array(
"http://website.com" => "httpdocs",//@note it's assumed "path" is prefixed.
"http://www.website.com" => "httpdocs",
),
"email" => "user@mail.com"
),
array(
"id" => "website124",
"label" => "company.com",
"path" => "ftp://".urlencode("website124")."@12.24.36.22",
"vhosts" => array(
"http://company.com" => "httpdocs",
"http://www.company.com" => "httpdocs",
"https://company.com" => "httpsdocs",
"https://www.company.com" => "httpsdocs",
),
"email" => "user@mail.com",
// Because we are transferring the user into a GUI, we need some mechanism to
// handle databases. See section 3.17.3 for more information.
"db_mode" => "manual",
"databases" => array(
array(
"type" => "mysql",
"host" => "localhost",
"name" => "db134",
"user" => "db134",
"pass" => "0sdhfldsafh"//Note: Providing a password is optional.
),
array(
"type" => "mysql",
"host" => "localhost",
"name" => "db135",
"user" => "db135"
)
)
)
),
/* these values define the request body: */
"cmd" => "guixfer",
"language" => "en"
);
$ch = curl_init(getenv("ITRON_HOST")."/index.php");
curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($query));
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$reply = curl_exec($ch);
if ( $reply === false )
{
echo "An error occurred: ".curl_error($ch);
return;
}
else if ( strpos($reply,"Error:") === 0 )
{
echo "An error occurred: ".$reply;
return;
}
$reply = json_decode($reply,true);
if ( $reply["result"] === false )
{
echo "An error occurred: ".$reply["message"];
return;
}
echo "Location: ".getenv("ITRON_HOST")."/index.php?s=".$reply["session_id"];
