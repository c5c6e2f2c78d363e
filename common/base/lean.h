/*
 * lean - start a long-running process so that it maps fewer pages.
 *
 * SYNOPSIS
 *	int main(int argc, char **argv) { lean_exec(argv); ... }
 *
 * DESCRIPTION
 *	GnuTLS (loaded through libpq -> libldap and libcurl -> librtmp; no
 *	cutover process speaks TLS through it) initializes itself in its
 *	library constructor, before main(): its random generator, its
 *	priority strings, the system configuration, about 0.7 MB of resident
 *	pages in every process. GNUTLS_NO_IMPLICIT_INIT=1 in the environment
 *	turns that off; the libraries that use GnuTLS (libldap for an LDAP
 *	lookup of connection parameters, librtmp) call gnutls_global_init()
 *	themselves when they need it, so nothing changes in behaviour.
 *
 *	lean_exec() makes sure the variable was there when the process
 *	started: when it was not, it sets it and executes the same program
 *	again with the same arguments (same pid); in the program started
 *	again it removes the variable, so that the processes cutover starts
 *	(hooks, checks, instances) get the environment they would have had.
 *	A variable set by the user is left alone; when the program cannot be
 *	executed again, the process goes on as it is.
 */
#ifndef CUTOVER_LEAN_H
#define CUTOVER_LEAN_H

void lean_exec(char **argv);

#endif
