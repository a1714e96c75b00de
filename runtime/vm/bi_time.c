/* bi_time: see bi_time.h. The TZif format is RFC 8536: a version 1 block
 * with 32-bit times, then (version 2 and later) the same tables with 64-bit
 * times, then a POSIX TZ string for instants after the last transition. */
#include "bi_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_alloc.h"

enum { MAX_ZONE_FILE = 1 << 20, MAX_NAME = 64, CACHE_SLOTS = 8 };

int64_t bi_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

void bi_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

unsigned bi_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[(m - 1) % 12];
}

/* A POSIX TZ rule "Mm.w.d/time": day d of week w (5: last) of month m. */
typedef struct Rule {
    unsigned month, week, wday;
    int32_t time;           /* seconds after local midnight */
} Rule;

struct BiZone {
    char name[MAX_NAME + 1];
    int32_t fixed;          /* the offset when ntrans == 0 and !has_rule */
    size_t ntrans;
    int64_t *trans;         /* transition instants, ascending */
    int32_t *offset_after;  /* offset from trans[i] on */
    int32_t offset_before;  /* before the first transition */
    bool has_rule;          /* the footer, after the last transition */
    int32_t std_off, dst_off;
    Rule start, end;        /* of summer time, in local standard/summer time */
};

struct BiZoneCache {
    BiZone *slot[CACHE_SLOTS];
    size_t next;
};

static void zone_free(BiZone *z)
{
    if (z == NULL)
        return;
    cm_free(z->trans);
    cm_free(z->offset_after);
    cm_free(z);
}

void bi_zone_cache_free(BiZoneCache *cache)
{
    if (cache == NULL)
        return;
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        zone_free(cache->slot[i]);
    cm_free(cache);
}

/* ---- the POSIX TZ footer ---- */

static const char *skip_zone_abbr(const char *p)
{
    if (*p == '<') {
        const char *close = strchr(p, '>');
        return close ? close + 1 : NULL;
    }
    const char *start = p;
    while ((*p | 32) >= 'a' && (*p | 32) <= 'z')
        p++;
    return p - start >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]]; returns NULL when malformed. */
static const char *read_hms(const char *p, int32_t *secs)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int32_t parts[3] = { 0, 0, 0 };
    for (int k = 0; k < 3; k++) {
        if (k > 0 && *p != ':')
            break;
        if (k > 0)
            p++;
        if (*p < '0' || *p > '9')
            return NULL;
        int32_t v = 0;
        for (int digits = 0; *p >= '0' && *p <= '9' && digits < 3; digits++)
            v = v * 10 + (*p++ - '0');
        parts[k] = v;
    }
    *secs = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return p;
}

static const char *read_rule(const char *p, Rule *r)
{
    if (*p != 'M')
        return NULL;            /* Jn and n rules: no zone in use has them */
    unsigned v[3];
    p++;
    for (int k = 0; k < 3; k++) {
        if (k > 0 && *p++ != '.')
            return NULL;
        if (*p < '0' || *p > '9')
            return NULL;
        v[k] = 0;
        while (*p >= '0' && *p <= '9' && v[k] < 100)
            v[k] = v[k] * 10 + (unsigned)(*p++ - '0');
    }
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
        return NULL;
    r->month = v[0];
    r->week = v[1];
    r->wday = v[2];
    r->time = 7200;
    if (*p == '/')
        p = read_hms(p + 1, &r->time);
    return p;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3"; false leaves the zone without a rule. */
static bool read_footer(BiZone *z, const char *p)
{
    int32_t std, dst;
    if ((p = skip_zone_abbr(p)) == NULL || (p = read_hms(p, &std)) == NULL)
        return false;
    z->std_off = -std;                  /* POSIX counts west positive */
    if (*p == '\0') {
        z->dst_off = z->std_off;
        z->has_rule = true;
        return true;
    }
    if ((p = skip_zone_abbr(p)) == NULL)
        return false;
    dst = std - 3600;
    if (*p != ',' && (p = read_hms(p, &dst)) == NULL)
        return false;
    z->dst_off = -dst;
    if (*p++ != ',' || (p = read_rule(p, &z->start)) == NULL || *p++ != ','
        || (p = read_rule(p, &z->end)) == NULL || *p != '\0')
        return false;
    z->has_rule = true;
    return true;
}

/* The instant a rule fires in year y, the wall clock reading offset. */
static int64_t rule_instant(const Rule *r, int64_t y, int32_t offset)
{
    int64_t first = bi_days_from_civil(y, r->month, 1);
    int64_t first_wday = ((first % 7) + 7 + 4) % 7;         /* 1970-01-01: Thursday */
    int64_t day = first + ((int64_t)r->wday - first_wday + 7) % 7 + 7 * (int64_t)(r->week - 1);
    unsigned dim = bi_days_in_month(y, r->month);
    while (day - first >= dim)
        day -= 7;
    return day * 86400 + r->time - offset;
}

static int32_t rule_offset_at(const BiZone *z, int64_t t)
{
    if (z->std_off == z->dst_off)
        return z->std_off;
    int64_t y;
    unsigned m, d;
    bi_civil_from_days((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0), &y, &m, &d);
    int64_t start = rule_instant(&z->start, y, z->std_off);
    int64_t end = rule_instant(&z->end, y, z->dst_off);
    bool summer = start < end ? t >= start && t < end : !(t >= end && t < start);
    return summer ? z->dst_off : z->std_off;
}

int32_t bi_zone_offset_at(const BiZone *z, int64_t t)
{
    if (z->ntrans == 0)
        return z->has_rule ? rule_offset_at(z, t) : z->fixed;
    if (t < z->trans[0])
        return z->offset_before;
    if (t >= z->trans[z->ntrans - 1] && z->has_rule)
        return rule_offset_at(z, t);
    size_t lo = 0, hi = z->ntrans;          /* last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->offset_after[lo];
}

int64_t bi_zone_to_utc(const BiZone *z, int64_t local)
{
    /* DST changes are months apart: the offsets a day either side are the
     * only candidates. */
    int32_t before = bi_zone_offset_at(z, local - 86400 - 50400);
    int32_t after = bi_zone_offset_at(z, local + 86400 + 50400);
    if (bi_zone_offset_at(z, local - before) == before)
        return local - before;
    if (bi_zone_offset_at(z, local - after) == after)
        return local - after;
    return local - before;
}

/* ---- TZif files ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses a TZif image into z; false when malformed. */
static bool parse_tzif(BiZone *z, const unsigned char *p, size_t n)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    int version = p[4] ? p[4] - '0' : 1;
    size_t tsize = 4;
    const unsigned char *h = p;
    for (int pass = 0; pass < 2; pass++) {
        if ((size_t)(h - p) + 44 > n)
            return false;
        uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28);
        uint32_t timecnt = be32(h + 32), typecnt = be32(h + 36), charcnt = be32(h + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 10000 || charcnt > 10000
            || isut > typecnt || isstd > typecnt)
            return false;
        size_t body = timecnt * tsize + timecnt + typecnt * 6 + charcnt
                      + leap * (tsize + 4) + isstd + isut;
        const unsigned char *b = h + 44;
        if ((size_t)(b - p) + body > n)
            return false;
        if (pass == 0 && version >= 2) {
            h = b + body;               /* skip to the 64-bit block */
            tsize = 8;
            continue;
        }
        const unsigned char *times = b, *idx = b + timecnt * tsize, *types = idx + timecnt;
        z->ntrans = timecnt;
        z->trans = cm_malloc((timecnt + 1) * sizeof *z->trans);
        z->offset_after = cm_malloc((timecnt + 1) * sizeof *z->offset_after);
        for (uint32_t i = 0; i < timecnt; i++) {
            if (idx[i] >= typecnt)
                return false;
            z->trans[i] = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
            z->offset_after[i] = (int32_t)be32(types + 6 * idx[i]);
            if (i > 0 && z->trans[i] <= z->trans[i - 1])
                return false;
        }
        z->offset_before = (int32_t)be32(types);  /* RFC 8536: type 0 */
        z->fixed = z->offset_before;
        if (version >= 2) {
            const unsigned char *f = b + body, *end = p + n;
            if (f < end && *f == '\n') {
                const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
                if (nl != NULL && nl - f - 1 < 200) {
                    char footer[200];
                    memcpy(footer, f + 1, (size_t)(nl - f - 1));
                    footer[nl - f - 1] = '\0';
                    if (!read_footer(z, footer))
                        z->has_rule = false;
                }
            }
        }
        return true;
    }
    return false;
}

static bool valid_zone_name(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME || s[0] == '/' || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') || c == '_'
                  || c == '-' || c == '+' || c == '/';
        if (!ok || (c == '/' && i + 1 < n && s[i + 1] == '.'))
            return false;
    }
    return true;
}

static BiZone *load_zone(BiCtx *cx, const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        bi_fail(cx, "unknown time zone \"%s\"", name);
        return NULL;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *data = NULL;
    size_t n = 0;
    if (size > 0 && size < MAX_ZONE_FILE && fseek(f, 0, SEEK_SET) == 0) {
        data = cm_malloc((size_t)size);
        n = fread(data, 1, (size_t)size, f);
    }
    fclose(f);
    BiZone *z = cm_calloc(1, sizeof *z);
    snprintf(z->name, sizeof z->name, "%s", name);
    bool ok = data != NULL && parse_tzif(z, data, n);
    cm_free(data);
    if (!ok) {
        zone_free(z);
        bi_fail(cx, "the time zone file for \"%s\" is unreadable", name);
        return NULL;
    }
    return z;
}

/* "Z", "UTC", "GMT", "+01:00", "-0530", "+01". */
static bool fixed_offset(const char *s, size_t n, int32_t *off)
{
    if (bi_ascii_ieq(s, n, "Z") || bi_ascii_ieq(s, n, "UTC") || bi_ascii_ieq(s, n, "GMT")) {
        *off = 0;
        return true;
    }
    if (n < 3 || (s[0] != '+' && s[0] != '-'))
        return false;
    char d[4];
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (s[i] == ':' && i == 3)
            continue;
        if (s[i] < '0' || s[i] > '9' || k == 4)
            return false;
        d[k++] = s[i];
    }
    if (k != 2 && k != 4)
        return false;
    int h = (d[0] - '0') * 10 + (d[1] - '0');
    int m = k == 4 ? (d[2] - '0') * 10 + (d[3] - '0') : 0;
    if (h > 18 || m > 59)
        return false;
    *off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return true;
}

const BiZone *bi_zone(BiCtx *cx, const char *s, size_t n)
{
    BiState *st = bi_state(cx);
    if (st->zones == NULL)
        st->zones = cm_calloc(1, sizeof *st->zones);
    BiZoneCache *cache = st->zones;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        BiZone *z = cache->slot[i];
        if (z && strlen(z->name) == n && memcmp(z->name, s, n) == 0)
            return z;
    }
    int32_t off;
    BiZone *z;
    char q[BI_QUOTE_SIZE];
    if (n <= MAX_NAME && fixed_offset(s, n, &off)) {
        z = cm_calloc(1, sizeof *z);
        memcpy(z->name, s, n);
        z->fixed = off;
    } else if (valid_zone_name(s, n)) {
        char name[MAX_NAME + 1];
        memcpy(name, s, n);
        name[n] = '\0';
        if ((z = load_zone(cx, name)) == NULL)
            return NULL;
    } else {
        bi_fail(cx, "\"%s\" is not a time zone (an IANA name such as Europe/Berlin, or +01:00)",
                bi_quote(s, n, q));
        return NULL;
    }
    size_t k = cache->next;
    cache->next = (k + 1) % CACHE_SLOTS;
    zone_free(cache->slot[k]);
    cache->slot[k] = z;
    return z;
}
