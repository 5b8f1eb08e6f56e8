<?php
// Section 3.3's PHP example, as written; only the key, the host and the website path (a
// local folder instead of ftp://, which lands later) differ.
$query = array(
/* these values define the request header: */
"key" => getenv("ITRON_KEY"),
"websites" => array(
array(
"id" => "ws124",
"path" => getenv("ITRON_SITE"),
"vhosts" => array(
"http://company.com" => "httpdocs",
"http://www.company.com" => "httpdocs",
"https://company.com" => "httpsdocs",
"https://www.company.com" => "httpsdocs",
),
"email" => "user@mail.com",
)
),
/* these values define the request body: */
"cmd" => "install",
"application" => "wordpress",
"url" => "http://company.com/blog",
"db_name" => "db123",
"db_user" => "db123",
"db_pass" => "sdfsdf1",
"db_host" => "localhost",
);
if (getenv("ITRON_DRYRUN")) { $query["dryrun"] = getenv("ITRON_DRYRUN"); }  // tests only
$ch = curl_init(getenv("ITRON_HOST")."/server/v1");
curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode($query));
$reply = curl_exec($ch);
if ( $reply === false )
{
echo "An error occurred: ".curl_error($ch);
return;
}
$reply = json_decode($reply,true);
if ( $reply["result"] === false )
{
echo "An error occurred: ".$reply["message"];
return;
}
echo "Success! ".$reply["message"];
