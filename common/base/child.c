/*
 * child - process set-up of the children cutover starts, and hex encoding
 *         (see child.h).
 */
#include "base/child.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* child_setup - own group, default signals, stdin /dev/null, output to out_fd */
int child_setup(int out_fd)
{
    static const int reset[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD, SIGXFSZ};
    struct sigaction dfl;
    sigset_t none;
    int null_fd;

    setpgid(0, 0);
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
        sigaction(reset[i], &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if ((null_fd = open("/dev/null", O_RDONLY)) < 0 || dup2(null_fd, 0) < 0
        || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
        return -1;
    return 0;
}

/* hex_encode - lower-case hex of n bytes */
void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}
