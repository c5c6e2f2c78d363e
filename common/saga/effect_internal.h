/*
 * effect_internal - shared by effect.c, effect_finish.c and effect_timer.c;
 *                   not for workers.
 */
#ifndef CUTOVER_EFFECT_INTERNAL_H
#define CUTOVER_EFFECT_INTERNAL_H

#include "saga/effect.h"

const char *effect_id_text(const struct effect *e, char *buf, size_t len);
/* effect_release_all - hand held effects back at once (graceful stop) */
void effect_release_all(struct saga_ctx *ctx);

#endif
