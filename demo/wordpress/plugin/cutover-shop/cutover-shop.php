<?php
/*
 * Plugin Name: cutover shop
 * Description: A small shop of cutover's WordPress demo. It stands in for
 *   WooCommerce, which cannot be downloaded here, and keeps only its order
 *   flow: products, a cart in the PHP session (kept in Redis, shared by both
 *   colors), and orders POSTed into a table of its own.
 * Version: 1
 *
 * Routes (JSON answers):
 *   GET  /shop/health     version, color, database reachable
 *   GET  /shop/products   the products
 *   POST /shop/cart       product=ID&quantity=N: adds to the session's cart
 *   GET  /shop/cart       the session's cart
 *   POST /shop/checkout   order_key=KEY[&note=TEXT]: stores the cart as one
 *                         order (a repeated key stores nothing twice:
 *                         the key is unique, a second submission of it,
 *                         even a concurrent one, answers as the first)
 *   GET  /shop/orders/KEY the order stored under KEY
 *   POST /shop/cache/KEY  value=TEXT: caches TEXT under KEY (wp_cache_set,
 *                         group cutover-shop)
 *   GET  /shop/cache/KEY  what the object cache holds under KEY (404: none);
 *                         both colors share it (wp-content/object-cache.php)
 * A release built with --broken answers 500 to every checkout.
 * The table wp_cutover_shop_orders is made on activation; release 2's
 * expand migration adds its `note` column, which this code writes only
 * where the column exists (so that release 1 and 2 both run on either
 * schema).
 */

if (!defined('ABSPATH')) {
    exit;
}

const CUTOVER_SHOP_PRODUCTS = [
    1 => ['name' => 'Blue mug', 'price_cents' => 1200],
    2 => ['name' => 'Green mug', 'price_cents' => 1200],
    3 => ['name' => 'Teapot', 'price_cents' => 3500],
];

/* cutover_shop_table - the orders table's name */
function cutover_shop_table()
{
    global $wpdb;
    return $wpdb->prefix . 'cutover_shop_orders';
}

/* cutover_shop_activate - make the orders table (release 1's schema) */
function cutover_shop_activate()
{
    global $wpdb;
    $table = cutover_shop_table();
    $wpdb->query("CREATE TABLE IF NOT EXISTS $table (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        order_key VARCHAR(64) NOT NULL UNIQUE,
        items TEXT NOT NULL,
        total_cents INT NOT NULL,
        version VARCHAR(64) NOT NULL,
        color VARCHAR(8) NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    ) ENGINE=InnoDB");
}
register_activation_hook(__FILE__, 'cutover_shop_activate');

/* cutover_shop_reply - send STATUS with BODY as JSON and end the request */
function cutover_shop_reply($status, $body)
{
    status_header($status);
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    echo wp_json_encode($body);
    exit;
}

/* cutover_shop_cart - the session's cart (product id => quantity), by reference */
function &cutover_shop_cart()
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        session_name('cutover_shop');
        session_start();
    }
    if (!isset($_SESSION['cart']) || !is_array($_SESSION['cart'])) {
        $_SESSION['cart'] = [];
    }
    return $_SESSION['cart'];
}

/* cutover_shop_cart_add - POST /shop/cart: add a known product */
function cutover_shop_cart_add()
{
    $product = isset($_POST['product']) ? (int) $_POST['product'] : 0;
    $quantity = isset($_POST['quantity']) ? (int) $_POST['quantity'] : 1;
    if (!isset(CUTOVER_SHOP_PRODUCTS[$product]) || $quantity < 1 || $quantity > 100) {
        cutover_shop_reply(400, ['error' => 'unknown product or bad quantity']);
    }
    $cart = &cutover_shop_cart();
    $cart[$product] = ($cart[$product] ?? 0) + $quantity;
    cutover_shop_reply(200, ['cart' => $cart]);
}

/* cutover_shop_has_note_column - 1 when release 2's migration added `note` */
function cutover_shop_has_note_column()
{
    global $wpdb;
    $table = cutover_shop_table();
    return $wpdb->get_var($wpdb->prepare("SHOW COLUMNS FROM $table LIKE %s", 'note')) !== null;
}

/* cutover_shop_order_stored - an order is stored under KEY (the unique key
 * refuses a second one: a submission that loses the race finds the first) */
function cutover_shop_order_stored($key)
{
    global $wpdb;
    $table = cutover_shop_table();
    return $wpdb->get_var($wpdb->prepare("SELECT id FROM $table WHERE order_key = %s", $key)) !== null;
}

/* cutover_shop_checkout - POST /shop/checkout: the cart becomes one order */
function cutover_shop_checkout()
{
    global $wpdb;
    if (file_exists(ABSPATH . 'broken')) {
        cutover_shop_reply(500, ['error' => 'this release breaks checkout on purpose']);
    }
    $key = isset($_POST['order_key']) ? sanitize_key($_POST['order_key']) : '';
    $cart = &cutover_shop_cart();
    if ($key === '' || empty($cart)) {
        cutover_shop_reply(400, ['error' => 'an order_key and a non-empty cart are needed']);
    }
    $total = 0;
    foreach ($cart as $product => $quantity) {
        $total += CUTOVER_SHOP_PRODUCTS[$product]['price_cents'] * $quantity;
    }
    $row = [
        'order_key' => $key, 'items' => wp_json_encode($cart), 'total_cents' => $total,
        'version' => getenv('CUTOVER_SHOP_VERSION'), 'color' => getenv('CUTOVER_SHOP_COLOR'),
    ];
    if (isset($_POST['note']) && cutover_shop_has_note_column()) {
        $row['note'] = sanitize_text_field(wp_unslash($_POST['note']));
    }
    $table = cutover_shop_table();
    if (!cutover_shop_order_stored($key) && $wpdb->insert($table, $row) === false
        && !cutover_shop_order_stored($key)) {
        cutover_shop_reply(500, ['error' => 'the order could not be stored']);
    }
    $cart = [];
    cutover_shop_reply(200, ['order_key' => $key, 'total_cents' => $total]);
}

/* cutover_shop_order - GET /shop/orders/KEY */
function cutover_shop_order($key)
{
    global $wpdb;
    $table = cutover_shop_table();
    $order = $wpdb->get_row($wpdb->prepare("SELECT * FROM $table WHERE order_key = %s", $key), ARRAY_A);
    if ($order === null) {
        cutover_shop_reply(404, ['error' => 'no such order']);
    }
    cutover_shop_reply(200, $order);
}

/* cutover_shop_cache - GET or POST /shop/cache/KEY: read or write the object cache */
function cutover_shop_cache($key, $post)
{
    if ($post) {
        $value = isset($_POST['value']) ? sanitize_text_field(wp_unslash($_POST['value'])) : '';
        wp_cache_set($key, $value, 'cutover-shop');
        cutover_shop_reply(200, ['key' => $key, 'value' => $value]);
    }
    $value = wp_cache_get($key, 'cutover-shop', true, $found);
    cutover_shop_reply($found ? 200 : 404, $found ? ['key' => $key, 'value' => $value] : ['error' => 'not cached']);
}

/* cutover_shop_health - GET /shop/health: the database answers, the version */
function cutover_shop_health()
{
    global $wpdb;
    $ok = $wpdb->get_var('SELECT 1') === '1';
    cutover_shop_reply($ok ? 200 : 503, [
        'version' => getenv('CUTOVER_SHOP_VERSION'), 'color' => getenv('CUTOVER_SHOP_COLOR'),
        'database' => $ok,
    ]);
}

/* cutover_shop_route - answer the /shop/ routes before WordPress's own query */
function cutover_shop_route()
{
    $path = trim((string) parse_url($_SERVER['REQUEST_URI'] ?? '', PHP_URL_PATH), '/');
    $post = ($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST';
    if ($path === 'shop/health') {
        cutover_shop_health();
    } elseif ($path === 'shop/products') {
        cutover_shop_reply(200, CUTOVER_SHOP_PRODUCTS);
    } elseif ($path === 'shop/cart') {
        $post ? cutover_shop_cart_add() : cutover_shop_reply(200, ['cart' => cutover_shop_cart()]);
    } elseif ($path === 'shop/checkout' && $post) {
        cutover_shop_checkout();
    } elseif (preg_match('#^shop/orders/([a-z0-9_-]+)$#', $path, $m)) {
        cutover_shop_order($m[1]);
    } elseif (preg_match('#^shop/cache/([a-z0-9_-]+)$#', $path, $m)) {
        cutover_shop_cache($m[1], $post);
    }
}
add_action('parse_request', 'cutover_shop_route', 0);
