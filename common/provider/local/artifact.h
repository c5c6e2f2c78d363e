/*
 * artifact - fetch a release artifact, check its SHA-256, unpack it.
 *
 * SYNOPSIS
 *	char err[512];
 *	if (artifact_fetch(rel->artifact_uri, rel->artifact_sha256,
 *	                   "/var/lib/cutover/shop/r42.tar.gz", err, sizeof(err)) != 0)
 *		fail(err);
 *	if (artifact_unpack("/var/lib/cutover/shop/r42.tar.gz",
 *	                    "/var/lib/cutover/shop/r42", err, sizeof(err)) != 0)
 *		fail(err);
 *
 * DESCRIPTION
 *	artifact_fetch() copies uri to dest_file. Accepted: file:///abs/path,
 *	file://localhost/abs/path, a plain absolute path, http:// and https://
 *	(libcurl: connect timeout ARTIFACT_CONNECT_TIMEOUT_S, total timeout
 *	ARTIFACT_TOTAL_TIMEOUT_S, at most ARTIFACT_MAX_REDIRECTS redirects, to
 *	http or https only; an HTTP status >= 400 fails). s3:// is refused with
 *	"s3:// artifacts are fetched by the aws provider". The bytes stream into
 *	a temporary file beside dest_file ("<dest>.part.XXXXXX") and are hashed
 *	while they are copied; an artifact larger than ARTIFACT_MAX_BYTES fails.
 *	On a mismatch the temporary file is removed and err says
 *	"sha256 mismatch: expected X, got Y"; otherwise the file is renamed into
 *	place atomically, so dest_file is either absent, old or complete.
 *	When dest_file already exists with the expected sha256 nothing is
 *	fetched (idempotent: a retried deploy costs nothing).
 *
 *	sha256_hex is 64 hex digits (either case). NULL means "do not check":
 *	the build-ready schema requires a sha256, so NULL exists only for an
 *	operator's own tools; with NULL an existing dest_file is fetched again.
 *
 *	artifact_fetch() blocks for as long as the transfer takes (bounded by
 *	the timeouts above): call it from a child process or a stage that may
 *	block, never from a worker's event loop callback.
 *
 *	artifact_unpack() extracts a .tar.gz, .tgz or .tar into dest_dir. It
 *	runs tar(1) by fork/exec with an argument vector (no shell): first
 *	"tar -tf" lists the members and any absolute name or name with a ".."
 *	component refuses the whole archive; then the archive is extracted
 *	(--no-same-owner) into a temporary directory beside dest_dir, a marker
 *	file ARTIFACT_UNPACK_MARKER is written in it, and it is renamed to
 *	dest_dir. A dest_dir that holds the marker is complete: nothing to do.
 *	Processes unpacking into the same dest_dir at once all succeed: the
 *	ones whose rename loses to a completed unpack take it as theirs.
 *	A dest_dir that exists, is not empty and has no marker is refused (it
 *	was not made by artifact_unpack). Symbolic links whose target is
 *	absolute or climbs with ".." are defused by GNU tar itself (it creates
 *	them last, as placeholders, so that no member is written through them).
 *	Temporary directories left by a crash ("<dest>.tmp.XXXXXX") are not
 *	cleaned up here.
 *
 *	Both return 0 on success, -1 with a message in err.
 */
#ifndef CUTOVER_ARTIFACT_H
#define CUTOVER_ARTIFACT_H

#include <stddef.h>

#define ARTIFACT_MAX_BYTES         (512L * 1024 * 1024)
#define ARTIFACT_CONNECT_TIMEOUT_S 10L
#define ARTIFACT_TOTAL_TIMEOUT_S   900L
#define ARTIFACT_MAX_REDIRECTS     5L
#define ARTIFACT_UNPACK_MARKER     ".cutover-unpacked"

int artifact_fetch(const char *uri, const char *sha256_hex, const char *dest_file, char *err,
                   size_t err_len);
int artifact_unpack(const char *tarball, const char *dest_dir, char *err, size_t err_len);
/* artifact_remove_tree - remove a temporary directory of ours and its content (symlinks not followed) */
void artifact_remove_tree(const char *dir);

/* artifact_sha256_file - hex SHA-256 (lower case) of a file's content; 0 or -1 */
int artifact_sha256_file(const char *path, char out[65], char *err, size_t err_len);

#endif
