/*
 * saga_ctx - the saga engine's narrow handle (see saga_ctx.h): emitting
 *            and publishing through the sink the caller bound.
 */
#include "saga/saga_ctx.h"

/* saga_emit - an event into ctx's sink; takes ownership of data */
int saga_emit(struct saga_ctx *ctx, const char *topic, const char *environment, cJSON *data)
{
    return ctx->emit(ctx->sink, topic, environment, data);
}

/* saga_publish - send what is committed now */
void saga_publish(struct saga_ctx *ctx)
{
    if (ctx->publish)
        ctx->publish(ctx->sink);
}
