/*
 * provider_local_command - the local provider's command_start and
 *                          command_poll: a shell command on each running
 *                          instance of a color (see provider.h).
 *
 * SYNOPSIS
 *	#include "provider/local/provider_local_command.h"
 *
 * DESCRIPTION
 *	Used by provider_local.c only; calls down into
 *	provider_local_slots.c (the hooks' environment) and
 *	provider_local_state.c.
 */
#ifndef CUTOVER_PROVIDER_LOCAL_COMMAND_H
#define CUTOVER_PROVIDER_LOCAL_COMMAND_H

#include "provider/local/provider_local_state.h"

int local_command_start(void *state, enum color c, const char *command, int timeout_s,
                        const char *reference, char *handle, size_t handle_len, char *err,
                        size_t err_len);
int local_command_poll(void *state, const char *handle, struct provider_command_report *out,
                       int *done, char *err, size_t err_len);

#endif
