<?php
/*
 * Plugin Name: cutover cron probe
 * Description: A must-use plugin of cutover's WordPress demo that proves where
 *   and how often WordPress cron runs: it schedules one recurring event and
 *   records each run of it. Demo and test code, not for a real shop.
 *
 * Install: copy this file into a release's wp-content/mu-plugins/ (the test
 * builds the release with demo/wordpress/build-release --with DIR, DIR holding
 * wp-content/mu-plugins/cutover-cron-probe.php).
 *
 * On a wp-cron.php request (DOING_CRON), the event cutover_cron_probe_tick is
 * scheduled every CUTOVER_CRON_PROBE_INTERVAL seconds (default 5) unless it
 * already is. Each run of it inserts one row into the table
 * <prefix>cutover_cron_probe: the hook, the occurrence's scheduled timestamp
 * (as wp-cron.php unschedules it), when it ran, the color and version of the
 * instance that ran it (CUTOVER_SHOP_COLOR, CUTOVER_SHOP_VERSION) and the
 * cutover_run request parameter (the scheduler's run id; 0 when absent). No
 * unique key: an occurrence that runs twice shows as two rows.
 */

if (!defined('ABSPATH')) {
    exit;
}

const CUTOVER_CRON_PROBE_HOOK = 'cutover_cron_probe_tick';
const CUTOVER_CRON_PROBE_SCHEDULE = 'cutover_cron_probe';

if (!defined('CUTOVER_CRON_PROBE_INTERVAL')) {
    define('CUTOVER_CRON_PROBE_INTERVAL', 5);
}

/* cutover_cron_probe_table - the runs table's name, made when missing */
function cutover_cron_probe_table()
{
    global $wpdb;
    $table = $wpdb->prefix . 'cutover_cron_probe';
    $wpdb->query("CREATE TABLE IF NOT EXISTS $table (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        hook VARCHAR(191) NOT NULL,
        scheduled_at BIGINT NOT NULL,
        ran_at DOUBLE NOT NULL,
        color VARCHAR(8) NOT NULL,
        version VARCHAR(64) NOT NULL,
        run_id BIGINT NOT NULL
    ) ENGINE=InnoDB");
    return $table;
}

/* cutover_cron_probe_schedules - the probe's interval among cron's schedules */
function cutover_cron_probe_schedules($schedules)
{
    $schedules[CUTOVER_CRON_PROBE_SCHEDULE] = [
        'interval' => CUTOVER_CRON_PROBE_INTERVAL,
        'display' => 'cutover cron probe',
    ];
    return $schedules;
}
add_filter('cron_schedules', 'cutover_cron_probe_schedules');

/* cutover_cron_probe_occurrence - remember which occurrence wp-cron.php is
 * about to run: it unschedules each occurrence right before running it */
function cutover_cron_probe_occurrence($pre, $timestamp, $hook)
{
    if ($hook === CUTOVER_CRON_PROBE_HOOK) {
        $GLOBALS['cutover_cron_probe_due'] = (int) $timestamp;
    }
    return $pre;
}
add_filter('pre_unschedule_event', 'cutover_cron_probe_occurrence', 10, 3);

/* cutover_cron_probe_run - the event: one row per run */
function cutover_cron_probe_run()
{
    global $wpdb;
    $wpdb->insert(cutover_cron_probe_table(), [
        'hook' => CUTOVER_CRON_PROBE_HOOK,
        'scheduled_at' => isset($GLOBALS['cutover_cron_probe_due']) ? $GLOBALS['cutover_cron_probe_due'] : 0,
        'ran_at' => microtime(true),
        'color' => (string) getenv('CUTOVER_SHOP_COLOR'),
        'version' => (string) getenv('CUTOVER_SHOP_VERSION'),
        'run_id' => isset($_GET['cutover_run']) ? (int) $_GET['cutover_run'] : 0,
    ]);
}
add_action(CUTOVER_CRON_PROBE_HOOK, 'cutover_cron_probe_run');

/* cutover_cron_probe_schedule - on a cron request, the recurring event is scheduled once */
function cutover_cron_probe_schedule()
{
    if (defined('DOING_CRON') && DOING_CRON && !wp_next_scheduled(CUTOVER_CRON_PROBE_HOOK)) {
        wp_schedule_event(time(), CUTOVER_CRON_PROBE_SCHEDULE, CUTOVER_CRON_PROBE_HOOK);
    }
}
add_action('init', 'cutover_cron_probe_schedule');
