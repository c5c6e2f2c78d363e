<?php
/*
 * health.php - GET /shop/health of a WordPress demo instance: the release's
 * version and color and whether the shared database answers, as JSON (503
 * when it does not). nginx hands it to a PHP-FPM pool of its own (see
 * lib.sh), so that HAProxy's health checks never wait behind page views on a
 * busy instance; it does not load WordPress (the pages, the shop's routes and
 * the environment's checkout check do). It reads the environment
 * wp-config.php reads.
 */
mysqli_report(MYSQLI_REPORT_OFF);
$db = mysqli_init();
mysqli_options($db, MYSQLI_OPT_CONNECT_TIMEOUT, 2);
$ok = @mysqli_real_connect($db, getenv('CUTOVER_MYSQL_HOST') ?: '127.0.0.1',
    getenv('CUTOVER_MYSQL_USER') ?: '', getenv('CUTOVER_MYSQL_PASSWORD') ?: '',
    getenv('CUTOVER_MYSQL_DATABASE') ?: '', (int) (getenv('CUTOVER_MYSQL_PORT') ?: 3306))
    && mysqli_query($db, 'SELECT 1') !== false;
http_response_code($ok ? 200 : 503);
header('Content-Type: application/json');
header('Cache-Control: no-store');
echo json_encode([
    'version' => getenv('CUTOVER_SHOP_VERSION'), 'color' => getenv('CUTOVER_SHOP_COLOR'),
    'database' => $ok,
]);
