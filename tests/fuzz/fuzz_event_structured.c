/*
 * fuzz_event_structured - the CloudEvent decoder in structured mode.
 *
 * DESCRIPTION
 *	Input: one byte choosing the topic, then the record's value (a
 *	structured CloudEvent, JSON). The record goes through event_decode(),
 *	the topic's schema and the dead letter or encoding a worker produces.
 */
#include "harness.h"

#include "io/event.h"

/* LLVMFuzzerTestOneInput - one structured record */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct event_record rec = { 0 };

    if (size < 1)
        return 0;
    rec.topic = fuzz_topic(data[0]);
    rec.value = data + 1;
    rec.value_len = size - 1;
    fuzz_event_judge(&rec);
    return 0;
}
