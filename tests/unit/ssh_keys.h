/*
 * ssh_keys - throwaway OpenSSH key pairs for unit tests, made by ssh-keygen
 *	in a temporary directory and removed with it.
 *
 * SYNOPSIS
 *	static char dir[] = "/tmp/test_x.XXXXXX";
 *	if (!mkdtemp(dir)) ...
 *	have_keys = ssh_keys_make(dir, "alice", "-t ed25519", "") == 0;
 *	... dir/alice and dir/alice.pub ...
 *	ssh_keys_remove(dir);
 */
#ifndef CUTOVER_TEST_SSH_KEYS_H
#define CUTOVER_TEST_SSH_KEYS_H

/* ssh_keys_make - dir/name and dir/name.pub by "ssh-keygen args", with the
 * passphrase ("" for none) and name as comment; 0 when ssh-keygen made them */
int ssh_keys_make(const char *dir, const char *name, const char *args, const char *passphrase);

/* ssh_keys_remove - dir and everything in it; 0 or -1 */
int ssh_keys_remove(const char *dir);

#endif
