<?php
/*
 * wp-config.php - the WordPress configuration of a cutover demo release.
 *
 * Both colors of an environment run this same file: every value comes from
 * the environment PHP-FPM gives its workers (see scripts/lib.sh), so that
 * blue and green share one MariaDB database, one Redis key prefix, one set
 * of salts and keys (logins and shop sessions survive a switch) and one
 * uploads directory.
 *
 *   CUTOVER_MYSQL_HOST, _PORT, _DATABASE, _USER, _PASSWORD  the database
 *   CUTOVER_WORDPRESS_SHARED_DIR  salts.php (made once) and uploads/
 *   CUTOVER_WORDPRESS_TABLE_PREFIX  the tables' prefix (default wp_)
 *   CUTOVER_SHOP_VERSION, CUTOVER_SHOP_COLOR  what the shop reports
 */

/* cutover_setting - the environment variable NAME, or DEFAULT when unset or empty */
function cutover_setting($name, $default = '')
{
    $value = getenv($name);
    return ($value === false || $value === '') ? $default : $value;
}

define('DB_NAME', cutover_setting('CUTOVER_MYSQL_DATABASE'));
define('DB_USER', cutover_setting('CUTOVER_MYSQL_USER'));
define('DB_PASSWORD', cutover_setting('CUTOVER_MYSQL_PASSWORD'));
define('DB_HOST', cutover_setting('CUTOVER_MYSQL_HOST', '127.0.0.1') . ':'
    . cutover_setting('CUTOVER_MYSQL_PORT', '3306'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = cutover_setting('CUTOVER_WORDPRESS_TABLE_PREFIX', 'wp_');

/* The same salts and keys for both colors, made once by the AfterInstall hook. */
require cutover_setting('CUTOVER_WORDPRESS_SHARED_DIR') . '/salts.php';

/* The site answers on whatever address it was reached by (HAProxy, a slot, a preview). */
$cutover_host = isset($_SERVER['HTTP_HOST']) ? $_SERVER['HTTP_HOST'] : 'localhost';
define('WP_HOME', 'http://' . $cutover_host);
define('WP_SITEURL', 'http://' . $cutover_host);

/* Scheduled work runs on the live color only, never on a page view. */
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISALLOW_FILE_MODS', true);
define('WP_DEBUG', false);

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
