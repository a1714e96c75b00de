/* bi_time: civil calendar arithmetic and time zones for the date builtins.
 * Zones are IANA names read from the compiled tz database (TZif files under
 * /usr/share/zoneinfo, or $TZDIR) by our own reader, never through the
 * process's TZ and localtime(), so a zone per call costs no global state;
 * fixed offsets ("UTC", "Z", "+05:30") need no file. Loaded zones are
 * cached for the run (BiState.zones). */
#ifndef BI_TIME_H
#define BI_TIME_H

#include <stdint.h>

#include "bi_impl.h"

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t bi_days_from_civil(int64_t y, unsigned m, unsigned d);
void bi_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
unsigned bi_days_in_month(int64_t y, unsigned m);

typedef struct BiZone BiZone;

/* The zone named s[0..n): an IANA name or a fixed offset. NULL with
 * cx->error set when unknown. */
const BiZone *bi_zone(BiCtx *cx, const char *s, size_t n);
/* UTC offset in seconds (east positive) in effect at instant t. */
int32_t bi_zone_offset_at(const BiZone *z, int64_t t);
/* The instant of wall-clock time local (seconds since the epoch, as if it
 * were UTC) in zone z. A time skipped by a DST change ("02:30" on the
 * spring-forward night) is read with the offset in effect before the gap,
 * so it lands one hour later on the clock; a time that occurs twice (the
 * autumn night) is the first of the two, still in summer time. */
int64_t bi_zone_to_utc(const BiZone *z, int64_t local);

#endif
