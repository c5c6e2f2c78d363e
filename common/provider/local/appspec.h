/*
 * appspec - read a release's appspec.yml and run its lifecycle hooks.
 *
 * SYNOPSIS
 *	struct appspec *spec = appspec_load("/srv/r42/appspec.yml", err, sizeof(err));
 *	static const char *const hooks[] = { "BeforeInstall", "AfterInstall",
 *	                                     "ApplicationStart", "ValidateService" };
 *	struct appspec_run *run = appspec_run_start("/srv/r42", spec, hooks, 4,
 *	                                            NULL, "/srv/r42.hooks.log",
 *	                                            err, sizeof(err));
 *	appspec_free(spec);			(the run keeps its own copy)
 *	...on a timer:
 *	appspec_run_poll(run, &status, detail, sizeof(detail));
 *	if (status != APPSPEC_RUNNING) appspec_run_free(run);
 *
 * DESCRIPTION
 *	The file is CodeDeploy's appspec.yml:
 *
 *	    version: 0.0
 *	    os: linux
 *	    files: [...]                  (accepted and ignored: the local
 *	                                   provider runs the release in place)
 *	    hooks:
 *	      AfterInstall:
 *	        - location: scripts/install.sh
 *	          timeout: 300            (seconds; default APPSPEC_TIMEOUT_DEFAULT_S,
 *	                                   at most the maximum, larger is lowered)
 *	          runas: root             (accepted and ignored: scripts run as
 *	                                   the worker's user)
 *
 *	Hooks the local runner executes: ApplicationStop, BeforeInstall,
 *	AfterInstall, ApplicationStart, ValidateService. The other CodeDeploy
 *	lifecycle events (BeforeBlockTraffic, BlockTraffic, AfterBlockTraffic,
 *	BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic, DownloadBundle,
 *	Install, Start, End) are accepted, kept with runnable = 0 and skipped by
 *	the runner. Any other name is an error that names it. A location must be
 *	relative to the release directory and may not contain "..". Bad YAML is
 *	an error with the line and column libyaml reports (1-based).
 *
 *	appspec_run_start() runs the scripts of the listed hooks, hook by hook
 *	in the order given, each hook's scripts in file order. A hook the spec
 *	does not have, or one that is not runnable, is skipped; a name that is
 *	not a CodeDeploy lifecycle event fails. Each script is a child process
 *	in its own process group, working directory release_dir, stdin
 *	/dev/null, stdout and stderr appended straight to log_path (never a
 *	pipe: a hook may leave a daemon behind, and the run does not wait for
 *	it). The script runs directly when it is executable, else with /bin/sh.
 *	Its environment is envp (NULL: the caller's environment) plus
 *	LIFECYCLE_EVENT=<hook name>, as CodeDeploy does.
 *
 *	appspec_run_poll() never blocks: waitpid(WNOHANG) on the current
 *	script; when it succeeded the next one starts; a script past its
 *	timeout gets SIGTERM on its process group and SIGKILL after
 *	APPSPEC_KILL_GRACE_S. A daemon that called setsid() is in a group of
 *	its own and survives the kill (on purpose: that is how ApplicationStart
 *	leaves the application running). Detail on failure:
 *	"hook AfterInstall script scripts/install.sh exited 3: <last lines>",
 *	"... killed by signal 9: ...", "... timed out after 5 s: <last lines>".
 *	Detail on success: "ran N scripts". It returns 0, or -1 on a misuse
 *	(NULL run).
 *
 *	The log file is capped at APPSPEC_LOG_MAX_BYTES. While a script runs,
 *	a poll that finds more than that written since the last cut frees the
 *	head in place (a punched hole: the script may be appending that very
 *	moment, and a hole loses none of it; on a filesystem without holes
 *	the log grows until the script ends). When a script ends, a log over
 *	the cap is cut to its last quarter behind a "[... truncated ...]"
 *	line. Output written between two polls can exceed the cap for that
 *	moment.
 *
 *	appspec_run_stop() kills the current script's process group (SIGTERM,
 *	then SIGKILL after the grace; this one call waits at most the grace)
 *	and ends the run as failed. appspec_run_free() stops a run still going
 *	and releases it.
 */
#ifndef CUTOVER_APPSPEC_H
#define CUTOVER_APPSPEC_H

#include <stddef.h>

#define APPSPEC_TIMEOUT_DEFAULT_S 3600
#define APPSPEC_TIMEOUT_MAX_S     3600 /* the cap appspec_load() applies */
#define APPSPEC_KILL_GRACE_S      3
#define APPSPEC_LOG_MAX_BYTES     (1024L * 1024)
#define APPSPEC_MAX_BYTES         (1024L * 1024) /* an appspec.yml larger than this is refused */
#define APPSPEC_MAX_SCRIPTS       64             /* per hook */

struct appspec_script {
    char *location; /* relative to the release directory */
    int timeout_s;
    char *runas;    /* NULL when absent; not used */
};

struct appspec_hook {
    char *name;
    int runnable;   /* 0: a CodeDeploy event the local runner skips */
    struct appspec_script *scripts;
    size_t script_count;
};

struct appspec {
    char *version;  /* NULL when absent */
    char *os;       /* NULL when absent */
    struct appspec_hook *hooks;
    size_t hook_count;
};

enum appspec_status { APPSPEC_RUNNING, APPSPEC_SUCCEEDED, APPSPEC_FAILED };

/* appspec_load - parse path; timeouts capped at APPSPEC_TIMEOUT_MAX_S */
struct appspec *appspec_load(const char *path, char *err, size_t err_len);
/* appspec_load_max - the same with timeouts capped at max_timeout_s (>= 1) */
struct appspec *appspec_load_max(const char *path, int max_timeout_s, char *err, size_t err_len);
void appspec_free(struct appspec *spec);

/* appspec_hook_find - the hook called name in spec; NULL when absent */
const struct appspec_hook *appspec_hook_find(const struct appspec *spec, const char *name);
/* appspec_hook_kind - 1: run locally, 0: CodeDeploy event skipped locally, -1: unknown */
int appspec_hook_kind(const char *name);

struct appspec_run;

struct appspec_run *appspec_run_start(const char *release_dir, const struct appspec *spec,
                                      const char *const *hooks, size_t hook_count,
                                      char *const *envp, const char *log_path, char *err,
                                      size_t err_len);
int appspec_run_poll(struct appspec_run *run, enum appspec_status *status, char *detail,
                     size_t detail_len);
void appspec_run_stop(struct appspec_run *run);
void appspec_run_free(struct appspec_run *run);

#endif
