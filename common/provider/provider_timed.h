/*
 * provider_timed - a backend's operations, each call timed into the
 *                  process's metrics (see provider_timed.c).
 */
#ifndef CUTOVER_PROVIDER_TIMED_H
#define CUTOVER_PROVIDER_TIMED_H

#include "provider/provider.h"

/* provider_timed - the timed table in front of real's (one per backend,
 * made on first use); its open() needs the document's "provider" member */
const struct provider_ops *provider_timed(const struct provider_ops *real);

#endif
