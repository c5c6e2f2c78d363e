<?php
/*
 * setup.php - install WordPress in the shared database once and activate the
 * shop plugin; run by the AfterInstall hook with php-cli, under a lock on the
 * shared directory (both colors and all their slots share the database).
 * Idempotent: an installed site only gets the plugin activated (its table
 * made or upgraded by the plugin itself).
 */
define('WP_INSTALLING', true);
require dirname(__DIR__) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

if (!is_blog_installed()) {
    wp_install('cutover shop', 'shopadmin', 'shop@example.invalid', false, '', wp_generate_password(32));
    echo "installed WordPress\n";
}
$result = activate_plugin('cutover-shop/cutover-shop.php');
if (is_wp_error($result)) {
    fwrite(STDERR, 'shop plugin: ' . $result->get_error_message() . "\n");
    exit(1);
}
echo "shop plugin active\n";
