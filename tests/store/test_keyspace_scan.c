/* ep_keyspace_scan, Redis's SCAN guarantee: a key present for the whole walk
 * is given at least once, whatever is inserted and removed between steps
 * and however often the table grows meanwhile (random counts and changes,
 * printed seed); with no changes, every key exactly once; an empty keyspace
 * ends at once; cursors stay below 2^32. */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOW 1700000000000LL

typedef struct seen {
    unsigned *stable; /* times each stable key was given */
    size_t nstable, given;
} seen;

static void on_key(void *user, const ep_ks_entry *e) {
    seen *s = (seen *)user;
    ep_bytes k = ep_ks_entry_key(e);
    char buf[32];
    s->given++;
    if (k.len > 2 && k.len < sizeof buf && k.data[0] == 's' && k.data[1] == ':') {
        memcpy(buf, k.data + 2, k.len - 2);
        buf[k.len - 2] = 0;
        s->stable[strtoul(buf, NULL, 10)]++;
    }
}

static void set_key(ep_keyspace *ks, const char *k) {
    ep_aof_record r = ept_rec(EP_AOF_SET, k);
    r.value = ept_b("v");
    r.num = -1;
    EPT_CHECK_OK(ep_keyspace_apply(ks, &r, NOW));
}

static void del_key(ep_keyspace *ks, const char *k) {
    ep_aof_record r = ept_rec(EP_AOF_DEL, k);
    EPT_CHECK_OK(ep_keyspace_apply(ks, &r, NOW));
}

EPT_CASE(key_present_throughout_is_given_at_least_once) {
    uint64_t rng = ept_seed() ^ 0x5ca7u;
    long rounds = ept_scale(40, 4), r;
    for (r = 0; r < rounds && !ept_failed(); r++) {
        ep_keyspace *ks;
        seen s;
        size_t nvol = 0, i, steps = 0;
        uint64_t cur = 0;
        char k[32];
        s.nstable = 50 + (size_t)(ept_rand(&rng) % 400);
        s.stable = (unsigned *)calloc(s.nstable, sizeof *s.stable);
        s.given = 0;
        EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
        for (i = 0; i < s.nstable; i++) {
            snprintf(k, sizeof k, "s:%zu", i);
            set_key(ks, k);
        }
        do {
            size_t count = 1 + (size_t)(ept_rand(&rng) % 20), adds = (size_t)(ept_rand(&rng) % 40), j;
            cur = ep_keyspace_scan(ks, cur, count, on_key, &s);
            EPT_CHECK(cur < ((uint64_t)1 << 32));
            /* grow (the table doubles several times over a walk) and shrink the volatile keys */
            for (j = 0; j < adds; j++) {
                snprintf(k, sizeof k, "v:%zu", nvol++);
                set_key(ks, k);
            }
            for (j = 0; j < adds / 2 && nvol; j++) {
                snprintf(k, sizeof k, "v:%zu", (size_t)(ept_rand(&rng) % nvol));
                del_key(ks, k);
            }
            ept_pool_reset();
            EPT_CHECK(++steps < 1000000);
        } while (cur != 0);
        for (i = 0; i < s.nstable; i++) {
            if (!s.stable[i]) printf("    round %ld: stable key s:%zu never given (%zu steps)\n", r, i, steps);
            EPT_CHECK(s.stable[i] >= 1);
        }
        free(s.stable);
        ep_keyspace_free(ks);
    }
}

EPT_CASE(unchanged_keyspace_gives_every_key_once) {
    ep_keyspace *ks;
    seen s;
    size_t i, n = 3000;
    uint64_t cur = 0;
    char k[32];
    s.nstable = n;
    s.stable = (unsigned *)calloc(n, sizeof *s.stable);
    s.given = 0;
    EPT_CHECK_OK(ep_keyspace_create(NULL, &ks));
    EPT_CHECK_EQ(ep_keyspace_scan(ks, 0, 10, on_key, &s), 0); /* empty: done at once */
    EPT_CHECK_EQ(s.given, 0);
    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "s:%zu", i);
        set_key(ks, k);
        ept_pool_reset();
    }
    do cur = ep_keyspace_scan(ks, cur, 7, on_key, &s);
    while (cur != 0);
    for (i = 0; i < n; i++) EPT_CHECK_EQ(s.stable[i], 1);
    EPT_CHECK_EQ(s.given, n);
    memset(s.stable, 0, n * sizeof *s.stable);
    s.given = 0;
    EPT_CHECK_EQ(ep_keyspace_scan(ks, 0, SIZE_MAX, on_key, &s), 0); /* one call, all of it */
    EPT_CHECK_EQ(s.given, n);
    free(s.stable);
    ep_keyspace_free(ks);
}

EPT_MAIN()
