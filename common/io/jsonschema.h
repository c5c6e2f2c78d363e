/*
 * jsonschema - a small JSON Schema validator over cJSON.
 *
 * SYNOPSIS
 *	#include "io/jsonschema.h"
 *
 *	char err[512];
 *	if (jsonschema_check(schema, err, sizeof(err)) != 0)
 *		log_fatal("bad schema: %s", err);
 *	if (jsonschema_validate(schema, instance, err, sizeof(err)) != 0)
 *		reject(err);	   "/strategy/steps/0/weight: 150 is greater than the maximum 100"
 *
 * DESCRIPTION
 *	The subset of JSON Schema (2020-12 spelling) that cutover's schemas
 *	use: type (one name or an array of names), required, properties,
 *	additionalProperties (boolean or schema), enum, const, minimum,
 *	maximum, exclusiveMinimum, exclusiveMaximum, minLength, maxLength
 *	(in code points), pattern (POSIX extended regular expressions, so
 *	keep patterns POSIX-compatible: no \d, no lazy quantifiers), items,
 *	minItems, maxItems, format "date-time" (RFC 3339), oneOf, anyOf,
 *	allOf, not, if/then/else and $ref to "#" or "#/$defs/NAME" within the
 *	same schema. Annotations (title, description, $schema, $id, $comment,
 *	default, examples) are ignored.
 *
 *	jsonschema_check() refuses a schema that uses any other keyword, a
 *	pattern that does not compile or a $ref that does not resolve, so that
 *	an unsupported keyword is never silently ignored.
 *
 *	jsonschema_validate() stops at the first failure and describes it with
 *	the JSON pointer of the offending place ("(root)" for the whole
 *	instance). Recursion is bounded by JSONSCHEMA_MAX_DEPTH.
 */
#ifndef CUTOVER_JSONSCHEMA_H
#define CUTOVER_JSONSCHEMA_H

#include <cjson/cJSON.h>
#include <stddef.h>

#define JSONSCHEMA_MAX_DEPTH 64

int jsonschema_check(const cJSON *schema, char *err, size_t err_len);
int jsonschema_validate(const cJSON *schema, const cJSON *instance, char *err, size_t err_len);

#endif
