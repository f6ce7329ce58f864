/*
 * Environment names in one spelling.
 *
 * Harnesses, inventories and session declarations spell the same environment
 * many ways ("prod", "Production", "prd", "live"). Detectors compare the
 * environment a call acts on with what a session declared, a credential was
 * provisioned for or a policy weights, so both sides go through the same
 * canonicalisation: well-known aliases map to one of "production",
 * "staging", "development", "test", "local"; any other name is kept as given
 * (trimmed) and compared case-insensitively.
 *
 * @locality any thread; pure functions, no allocation.
 */
#ifndef SR_ENV_H
#define SR_ENV_H

#include <stdbool.h>

#include "core/sr.h"

/* The canonical spelling of `env`: a static lowercase literal for a known
 * alias, else `env` with surrounding blanks trimmed (still borrowed from the
 * caller). An empty or blank name gives an empty view. */
sr_str sr_env_canonical(sr_str env);

/* Same environment after canonicalisation (ASCII case-insensitive). Two
 * empty names are equal. */
bool sr_env_eq(sr_str a, sr_str b);

/* Canonically "production". */
bool sr_env_is_production(sr_str env);

#endif
