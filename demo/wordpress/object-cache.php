<?php
/*
 * object-cache.php - the persistent object cache of a cutover demo release: a
 * WordPress drop-in (wp-content/object-cache.php) keeping wp_cache_* in Redis.
 *
 * Both colors of an environment talk to one Redis under one key prefix, so
 * that what blue caches green reads and the other way round (WordPress as
 * Debian ships it has no such drop-in; this one is demo code of cutover's).
 * Settings come from the environment PHP-FPM gives its workers, as
 * wp-config.php's do (see scripts/lib.sh):
 *
 *   CUTOVER_REDIS_HOST, CUTOVER_REDIS_PORT  the Redis server
 *   CUTOVER_WORDPRESS_REDIS_PREFIX          the prefix both colors share
 *
 * A key is PREFIX "cache:" BLOG ":" GROUP ":" KEY (BLOG is "global" for the
 * global groups), its value PHP-serialized; flushing the object cache
 * deletes PREFIX "cache:*" only (the PHP sessions, PREFIX "session:", stay).
 * Non-persistent groups live in the request's memory only. When Redis cannot
 * be reached the cache falls back to the request's memory and says so in
 * PHP's error log: pages are slower, never wrong. incr and decr read and
 * write (not atomic), as WordPress's own cache does within a request.
 */

if (!defined('ABSPATH')) {
    exit;
}

/* cutover_cache_setting - the environment variable NAME, or DEFAULT when unset or empty */
function cutover_cache_setting($name, $default)
{
    $value = getenv($name);
    return ($value === false || $value === '') ? $default : $value;
}

/*
 * Cutover_Object_Cache - the cache of one request: a local copy in memory in
 * front of Redis.
 */
class Cutover_Object_Cache
{
    private $redis = null;
    private $prefix;
    private $blog = '1';
    private $local = [];
    private $global_groups = [];
    private $memory_groups = [];

    /* __construct - connect to Redis (or keep to memory when it does not answer) */
    public function __construct()
    {
        $this->prefix = cutover_cache_setting('CUTOVER_WORDPRESS_REDIS_PREFIX', 'cutover-shop:') . 'cache:';
        try {
            $redis = new Redis();
            $redis->connect(cutover_cache_setting('CUTOVER_REDIS_HOST', '127.0.0.1'),
                (int) cutover_cache_setting('CUTOVER_REDIS_PORT', '6379'), 2.0);
            $this->redis = $redis;
        } catch (Exception $e) {
            error_log('object cache: Redis unreachable, memory only: ' . $e->getMessage());
        }
    }

    /* key - the Redis key of KEY in GROUP */
    private function key($key, $group)
    {
        $group = $group === '' ? 'default' : $group;
        $blog = isset($this->global_groups[$group]) ? 'global' : $this->blog;
        return $this->prefix . $blog . ':' . $group . ':' . $key;
    }

    /* persistent - GROUP is kept in Redis */
    private function persistent($group)
    {
        return $this->redis !== null && !isset($this->memory_groups[$group]);
    }

    /* get - the value of KEY in GROUP; FOUND tells whether there was one */
    public function get($key, $group, $force, &$found)
    {
        $name = $this->key($key, $group);
        if (!$force && array_key_exists($name, $this->local)) {
            $found = true;
            return is_object($this->local[$name]) ? clone $this->local[$name] : $this->local[$name];
        }
        $found = false;
        if (!$this->persistent($group)) {
            return false;
        }
        $stored = $this->redis->get($name);
        if ($stored === false) {
            return false;
        }
        $found = true;
        $this->local[$name] = unserialize($stored);
        return $this->local[$name];
    }

    /* set - store VALUE under KEY in GROUP for EXPIRE seconds (0: no end) */
    public function set($key, $value, $group, $expire)
    {
        $name = $this->key($key, $group);
        $this->local[$name] = is_object($value) ? clone $value : $value;
        if (!$this->persistent($group)) {
            return true;
        }
        $options = (int) $expire > 0 ? ['ex' => (int) $expire] : [];
        return (bool) $this->redis->set($name, serialize($value), $options);
    }

    /* add - set only when KEY is not there yet */
    public function add($key, $value, $group, $expire)
    {
        $this->get($key, $group, false, $found);
        return $found ? false : $this->set($key, $value, $group, $expire);
    }

    /* replace - set only when KEY is there */
    public function replace($key, $value, $group, $expire)
    {
        $this->get($key, $group, false, $found);
        return $found ? $this->set($key, $value, $group, $expire) : false;
    }

    /* delete - forget KEY in GROUP */
    public function delete($key, $group)
    {
        $name = $this->key($key, $group);
        $had = array_key_exists($name, $this->local);
        unset($this->local[$name]);
        if (!$this->persistent($group)) {
            return $had;
        }
        return $this->redis->del($name) > 0 || $had;
    }

    /* offset - add BY to the number under KEY; the new number, or false when none */
    public function offset($key, $by, $group)
    {
        $value = $this->get($key, $group, false, $found);
        if (!$found) {
            return false;
        }
        $value = max(0, (is_numeric($value) ? (int) $value : 0) + (int) $by);
        $this->set($key, $value, $group, 0);
        return $value;
    }

    /* flush - forget every key under the prefix (sessions are not under it) */
    public function flush()
    {
        $this->local = [];
        if ($this->redis === null) {
            return true;
        }
        $cursor = null;
        do {
            $keys = $this->redis->scan($cursor, $this->prefix . '*', 500);
            if (!empty($keys)) {
                $this->redis->del($keys);
            }
        } while ($cursor);
        return true;
    }

    /* flush_runtime - forget the request's memory only */
    public function flush_runtime()
    {
        $this->local = [];
        return true;
    }

    /* add_groups - remember GROUPS as memory-only groups (MEMORY) or as global ones */
    public function add_groups($groups, $memory)
    {
        foreach ((array) $groups as $group) {
            if ($memory) {
                $this->memory_groups[$group] = true;
            } else {
                $this->global_groups[$group] = true;
            }
        }
    }

    /* switch_to_blog - keys of non-global groups are BLOG's from now on */
    public function switch_to_blog($blog)
    {
        $this->blog = (string) (int) $blog;
    }

    /* close - let the connection go at the end of the request */
    public function close()
    {
        if ($this->redis !== null) {
            $this->redis->close();
        }
        return true;
    }
}

/* wp_cache_init - the request's cache */
function wp_cache_init()
{
    $GLOBALS['wp_object_cache'] = new Cutover_Object_Cache();
}

/* wp_cache_get - the value cached under KEY in GROUP, or false */
function wp_cache_get($key, $group = '', $force = false, &$found = null)
{
    return $GLOBALS['wp_object_cache']->get($key, $group, $force, $found);
}

/* wp_cache_set - cache DATA under KEY in GROUP */
function wp_cache_set($key, $data, $group = '', $expire = 0)
{
    return $GLOBALS['wp_object_cache']->set($key, $data, $group, $expire);
}

/* wp_cache_add - cache DATA under KEY unless something is there */
function wp_cache_add($key, $data, $group = '', $expire = 0)
{
    return $GLOBALS['wp_object_cache']->add($key, $data, $group, $expire);
}

/* wp_cache_replace - cache DATA under KEY only when something is there */
function wp_cache_replace($key, $data, $group = '', $expire = 0)
{
    return $GLOBALS['wp_object_cache']->replace($key, $data, $group, $expire);
}

/* wp_cache_delete - forget KEY in GROUP */
function wp_cache_delete($key, $group = '')
{
    return $GLOBALS['wp_object_cache']->delete($key, $group);
}

/* wp_cache_incr - add OFFSET to the number under KEY */
function wp_cache_incr($key, $offset = 1, $group = '')
{
    return $GLOBALS['wp_object_cache']->offset($key, $offset, $group);
}

/* wp_cache_decr - take OFFSET from the number under KEY (never below 0) */
function wp_cache_decr($key, $offset = 1, $group = '')
{
    return $GLOBALS['wp_object_cache']->offset($key, -$offset, $group);
}

/* wp_cache_flush - forget the whole object cache (both colors') */
function wp_cache_flush()
{
    return $GLOBALS['wp_object_cache']->flush();
}

/* wp_cache_flush_runtime - forget the request's memory only */
function wp_cache_flush_runtime()
{
    return $GLOBALS['wp_object_cache']->flush_runtime();
}

/* wp_cache_supports - the optional features this cache has */
function wp_cache_supports($feature)
{
    return $feature === 'flush_runtime';
}

/* wp_cache_close - the end of the request */
function wp_cache_close()
{
    return $GLOBALS['wp_object_cache']->close();
}

/* wp_cache_add_global_groups - GROUPS are shared by every blog */
function wp_cache_add_global_groups($groups)
{
    $GLOBALS['wp_object_cache']->add_groups($groups, false);
}

/* wp_cache_add_non_persistent_groups - GROUPS stay in the request's memory */
function wp_cache_add_non_persistent_groups($groups)
{
    $GLOBALS['wp_object_cache']->add_groups($groups, true);
}

/* wp_cache_switch_to_blog - the blog whose keys are used from now on */
function wp_cache_switch_to_blog($blog_id)
{
    $GLOBALS['wp_object_cache']->switch_to_blog($blog_id);
}

/* wp_cache_reset - deprecated by WordPress; forgets the request's memory */
function wp_cache_reset()
{
    return $GLOBALS['wp_object_cache']->flush_runtime();
}
