/* Replay rules, one case per row of ember-format.md §5.2, plus the
 * recovery.rs cases of §6 that need no files. States are compared as the
 * canonical dump of tests/support/model.h: "key|type|ttl|value". */
#include "ember_persist.h"
#include "harness.h"
#include "support/model.h"

#include <math.h>
#include <stdlib.h>

#define NOW 1700000000000LL

static ep_keyspace *ks;

static void begin(void) {
    ept_pool_reset();
    ep_keyspace_free(ks);
    ks = NULL;
    if (ep_keyspace_create(NULL, &ks) != EP_OK) abort();
}

static ep_result ap(ep_aof_record r) {
    return ep_keyspace_apply(ks, &r, NOW);
}

static ep_aof_record R(uint8_t tag, const char *key) {
    return ept_rec(tag, key);
}
static ep_aof_record Rv(uint8_t tag, const char *key, const char *value) {
    ep_aof_record r = ept_rec(tag, key);
    r.value = ept_b(value);
    return r;
}
static ep_aof_record Rn(uint8_t tag, const char *key, int64_t num) {
    ep_aof_record r = ept_rec(tag, key);
    r.num = num;
    return r;
}
static ep_aof_record SET(const char *k, const char *v, int64_t ttl) {
    ep_aof_record r = Rv(EP_AOF_SET, k, v);
    r.num = ttl;
    return r;
}
static ep_aof_record Ri(uint8_t tag, const char *key, int n, const char *const *s) {
    ep_aof_record r = ept_rec(tag, key);
    r.items = ept_items_strs(tag == EP_AOF_LPUSH || tag == EP_AOF_RPUSH ? EP_ITEMS_BYTES : EP_ITEMS_STR, n, s);
    return r;
}
#define L(...) ((const char *const[]){__VA_ARGS__})
#define PUSH(tag, key, ...) Ri(tag, key, (int)(sizeof(L(__VA_ARGS__)) / sizeof(char *)), L(__VA_ARGS__))
static ep_aof_record ZADD(const char *k, int n, const double *sc, const char *const *m) {
    ep_aof_record r = ept_rec(EP_AOF_ZADD, k);
    r.items = ept_items_zadd(n, sc, m);
    return r;
}
static ep_aof_record HSET(const char *k, int n, const char *const *p) {
    ep_aof_record r = ept_rec(EP_AOF_HSET, k);
    r.items = ept_items_pairs(n, p);
    return r;
}
static ep_aof_record VADD(const char *k, const char *elem, float x, float y, uint8_t metric) {
    ep_aof_record r = ept_rec(EP_AOF_VADD, k);
    uint8_t raw[8];
    ep_store_f32le(raw, x);
    ep_store_f32le(raw + 4, y);
    r.key2 = ept_b(elem);
    r.dim = 2;
    r.vector = ept_pool_bytes(raw, 8);
    r.flag = metric;
    r.flag2 = 1;
    r.connectivity = 16;
    r.expansion_add = 64;
    return r;
}

/* Compares one key's dump line with want. */
#define KEY_IS(key, want)                                                                  \
    do {                                                                                   \
        char *d_ = ept_ks_dump_key(ks, key);                                               \
        if (strcmp(d_, want) != 0) {                                                       \
            char m_[600];                                                                  \
            snprintf(m_, sizeof m_, "key %s:\n      got  %s\n      want %s", key, d_, want); \
            free(d_);                                                                      \
            ept_fail(__FILE__, __LINE__, m_);                                              \
            return;                                                                        \
        }                                                                                  \
        free(d_);                                                                          \
    } while (0)
#define GONE(key) KEY_IS(key, "(none)")

EPT_CASE(set_inserts_overwrites_any_type_and_ttl) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "k", "a")));
    EPT_CHECK_OK(ap(SET("k", "v", 5000)));
    KEY_IS("k", "k|string|5000|v");
    EPT_CHECK_OK(ap(SET("k", "w", -1)));
    KEY_IS("k", "k|string|-1|w");
    EPT_CHECK_OK(ap(SET("k", "x", -7)));
    KEY_IS("k", "k|string|-1|x");
    EPT_CHECK_OK(ap(SET("z", "", 0)));
    KEY_IS("z", "z|string|0|");
    EPT_CHECK_EQ(ep_keyspace_drop_expired(ks), 1);
    GONE("z");
    EPT_CHECK_EQ(ep_keyspace_count(ks), 1);
}

EPT_CASE(del_removes_and_missing_is_noop) {
    begin();
    EPT_CHECK_OK(ap(SET("a", "1", 100)));
    EPT_CHECK_OK(ap(R(EP_AOF_DEL, "a")));
    GONE("a");
    EPT_CHECK_OK(ap(R(EP_AOF_DEL, "a")));
    EPT_CHECK_EQ(ep_keyspace_count(ks), 0);
}

EPT_CASE(expire_seconds_saturate_and_zero_expires_at_end) {
    begin();
    EPT_CHECK_OK(ap(SET("k", "v", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_EXPIRE, "k", 300)));
    KEY_IS("k", "k|string|300000|v");
    EPT_CHECK_OK(ap(Rn(EP_AOF_EXPIRE, "k", INT64_MAX / 10)));
    KEY_IS("k", "k|string|9223372036854775807|v");
    EPT_CHECK_OK(ap(Rn(EP_AOF_EXPIRE, "missing", 5)));
    GONE("missing");
    EPT_CHECK_OK(ap(Rn(EP_AOF_EXPIRE, "k", 0)));
    KEY_IS("k", "k|string|0|v");
    ep_keyspace_drop_expired(ks);
    GONE("k");
}

EPT_CASE(pexpire_sets_ms) {
    begin();
    EPT_CHECK_OK(ap(SET("k", "v", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIRE, "k", 5000)));
    KEY_IS("k", "k|string|5000|v");
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIRE, "k", INT64_MAX)));
    KEY_IS("k", "k|string|9223372036854775807|v");
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIRE, "nope", 5)));
    GONE("nope");
}

EPT_CASE(pexpireat_is_measured_against_the_injected_clock) {
    begin();
    EPT_CHECK_OK(ap(SET("k", "v", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIREAT, "k", NOW + 1234)));
    KEY_IS("k", "k|string|1234|v");
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIREAT, "k", NOW)));
    KEY_IS("k", "k|string|0|v");
    EPT_CHECK_OK(ap(SET("j", "v", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIREAT, "j", NOW - 50000)));
    KEY_IS("j", "j|string|0|v");
    {
        ep_aof_record r = Rn(EP_AOF_PEXPIREAT, "j", 2000);
        EPT_CHECK_OK(ep_keyspace_apply(ks, &r, 1500)); /* another clock */
    }
    KEY_IS("j", "j|string|500|v");
    EPT_CHECK_EQ(ep_keyspace_drop_expired(ks), 1);
}

EPT_CASE(persist_clears_ttl) {
    begin();
    EPT_CHECK_OK(ap(SET("k", "v", 60000)));
    EPT_CHECK_OK(ap(R(EP_AOF_PERSIST, "k")));
    KEY_IS("k", "k|string|-1|v");
    EPT_CHECK_OK(ap(R(EP_AOF_PERSIST, "none")));
    GONE("none");
}

EPT_CASE(incr_family_rust_parse_checked_add) {
    begin();
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "new")));
    KEY_IS("new", "new|string|-1|1");
    EPT_CHECK_OK(ap(R(EP_AOF_DECR, "d")));
    KEY_IS("d", "d|string|-1|-1");
    EPT_CHECK_OK(ap(SET("n", "10", 5000)));
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "n")));
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "n")));
    EPT_CHECK_OK(ap(R(EP_AOF_DECR, "n")));
    KEY_IS("n", "n|string|5000|11"); /* ttl kept */
    EPT_CHECK_OK(ap(Rn(EP_AOF_INCRBY, "n", 100)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_DECRBY, "n", 11)));
    KEY_IS("n", "n|string|5000|100");
    EPT_CHECK_OK(ap(SET("p", "+5", -1)));
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "p")));
    KEY_IS("p", "p|string|-1|6");
    EPT_CHECK_OK(ap(SET("z", "007", -1)));
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "z")));
    KEY_IS("z", "z|string|-1|8");
    {
        static const char *const bad[] = {" 5", "5 ", "5a", "", "-", "+", "+-1", "1.0", "0x10",
                                          "9223372036854775808"};
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char want[64];
            EPT_CHECK_OK(ap(SET("b", bad[i], -1)));
            EPT_CHECK_EQ(ap(R(EP_AOF_INCR, "b")), EP_ERR_BAD_VALUE);
            {
                const ep_ks_entry *e = ep_keyspace_get(ks, "b", 1);
                EPT_CHECK(e && ep_ks_entry_len(e) == strlen(bad[i]));
            }
            (void)want;
        }
    }
    /* checked_add: overflow leaves the value */
    EPT_CHECK_OK(ap(SET("m", "9223372036854775807", -1)));
    EPT_CHECK_EQ(ap(R(EP_AOF_INCR, "m")), EP_ERR_BAD_VALUE);
    KEY_IS("m", "m|string|-1|9223372036854775807");
    EPT_CHECK_OK(ap(SET("m", "-9223372036854775808", -1)));
    EPT_CHECK_EQ(ap(R(EP_AOF_DECR, "m")), EP_ERR_BAD_VALUE);
    KEY_IS("m", "m|string|-1|-9223372036854775808");
    /* DECRBY i64::MIN is saturating_neg -> adds i64::MAX */
    EPT_CHECK_OK(ap(SET("q", "-1", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_DECRBY, "q", INT64_MIN)));
    KEY_IS("q", "q|string|-1|9223372036854775806");
    EPT_CHECK_OK(ap(Rn(EP_AOF_DECRBY, "fresh", INT64_MIN)));
    KEY_IS("fresh", "fresh|string|-1|9223372036854775807");
    /* wrong type: ignored without error */
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x")));
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "l")));
    KEY_IS("l", "l|list|-1|[x]");
}

EPT_CASE(parse_i64_follows_rust) {
    int64_t v;
    EPT_CHECK(ep_parse_i64((const uint8_t *)"+0", 2, &v) && v == 0);
    EPT_CHECK(ep_parse_i64((const uint8_t *)"-0", 2, &v) && v == 0);
    EPT_CHECK(ep_parse_i64((const uint8_t *)"-9223372036854775808", 20, &v) && v == INT64_MIN);
    EPT_CHECK(!ep_parse_i64((const uint8_t *)"-9223372036854775809", 20, &v));
    EPT_CHECK(ep_parse_i64((const uint8_t *)"00000000000000000000000000042", 29, &v) && v == 42);
    EPT_CHECK(!ep_parse_i64((const uint8_t *)"", 0, &v));
    EPT_CHECK(!ep_parse_i64((const uint8_t *)"++1", 3, &v));
}

EPT_CASE(append_creates_and_appends) {
    begin();
    EPT_CHECK_OK(ap(Rv(EP_AOF_APPEND, "k", "ab")));
    EPT_CHECK_OK(ap(Rv(EP_AOF_APPEND, "k", "cd")));
    KEY_IS("k", "k|string|-1|abcd");
    EPT_CHECK_OK(ap(Rv(EP_AOF_APPEND, "e", "")));
    KEY_IS("e", "e|string|-1|");
    EPT_CHECK_OK(ap(SET("t", "x", 900)));
    EPT_CHECK_OK(ap(Rv(EP_AOF_APPEND, "t", "y")));
    KEY_IS("t", "t|string|900|xy");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_LPUSH, "l", "x")));
    EPT_CHECK_OK(ap(Rv(EP_AOF_APPEND, "l", "y")));
    KEY_IS("l", "l|list|-1|[x]");
}

static ep_aof_record SETRANGE(const char *k, int64_t off, const char *v) {
    ep_aof_record r = Rv(EP_AOF_SETRANGE, k, v);
    r.num = off;
    return r;
}

EPT_CASE(setrange_zero_pads_and_empty_value_creates_key) {
    begin();
    EPT_CHECK_OK(ap(SETRANGE("n", 3, "abc")));
    KEY_IS("n", "n|string|-1|\\x00\\x00\\x00abc");
    EPT_CHECK_OK(ap(SET("h", "hello world", 700)));
    EPT_CHECK_OK(ap(SETRANGE("h", 6, "Redis")));
    KEY_IS("h", "h|string|700|hello\\x20Redis");
    EPT_CHECK_OK(ap(SETRANGE("h", 0, "J")));
    KEY_IS("h", "h|string|700|Jello\\x20Redis");
    EPT_CHECK_OK(ap(SETRANGE("h", 13, "!")));
    KEY_IS("h", "h|string|700|Jello\\x20Redis\\x00\\x00\\x21");
    /* empty value on a new key: an off-byte zero string, or "" at 0 */
    EPT_CHECK_OK(ap(SETRANGE("e", 2, "")));
    KEY_IS("e", "e|string|-1|\\x00\\x00");
    EPT_CHECK_OK(ap(SETRANGE("f", 0, "")));
    KEY_IS("f", "f|string|-1|");
    /* the formula extends an existing string too */
    EPT_CHECK_OK(ap(SET("g", "ab", -1)));
    EPT_CHECK_OK(ap(SETRANGE("g", 4, "")));
    KEY_IS("g", "g|string|-1|ab\\x00\\x00");
    /* a negative offset is a huge usize in ember: refused, nothing changes */
    EPT_CHECK_EQ(ap(SETRANGE("g", -1, "x")), EP_ERR_LIMIT);
    EPT_CHECK_EQ(ap(SETRANGE("neg", -1, "")), EP_ERR_LIMIT);
    GONE("neg");
    KEY_IS("g", "g|string|-1|ab\\x00\\x00");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x")));
    EPT_CHECK_OK(ap(SETRANGE("l", 0, "y")));
    KEY_IS("l", "l|list|-1|[x]");
}

static ep_aof_record SETBIT(const char *k, int64_t off, uint8_t bit) {
    ep_aof_record r = Rn(EP_AOF_SETBIT, k, off);
    r.flag = bit;
    return r;
}

EPT_CASE(setbit_msb_first_other_values_clear) {
    begin();
    EPT_CHECK_OK(ap(SETBIT("b", 7, 1)));
    KEY_IS("b", "b|string|-1|\\x01");
    EPT_CHECK_OK(ap(SETBIT("b", 0, 1)));
    KEY_IS("b", "b|string|-1|\\x81");
    EPT_CHECK_OK(ap(SETBIT("b", 0, 2))); /* any value other than 1 clears */
    KEY_IS("b", "b|string|-1|\\x01");
    EPT_CHECK_OK(ap(SETBIT("b", 7, 0)));
    KEY_IS("b", "b|string|-1|\\x00");
    EPT_CHECK_OK(ap(SETBIT("b", 17, 1)));
    KEY_IS("b", "b|string|-1|\\x00\\x00\\x40");
    EPT_CHECK_OK(ap(SETBIT("c", 9, 0))); /* clearing still creates and extends */
    KEY_IS("c", "c|string|-1|\\x00\\x00");
    EPT_CHECK_EQ(ap(SETBIT("c", -1, 1)), EP_ERR_LIMIT);
    KEY_IS("c", "c|string|-1|\\x00\\x00");
}

static ep_aof_record BITOP(uint8_t op, const char *dest, int n, const char *const *src) {
    ep_aof_record r = ept_rec(EP_AOF_BITOP, dest);
    r.flag = op;
    r.items = ept_items_strs(EP_ITEMS_STR, n, src);
    return r;
}

EPT_CASE(bitop_and_or_xor_not_and_dest_ttl) {
    begin();
    EPT_CHECK_OK(ap(SET("a", "\xff\x0f\xf0", -1)));
    EPT_CHECK_OK(ap(SET("b", "\x3c", -1)));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x")));
    EPT_CHECK_OK(ap(SET("d", "old", 5000)));
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_AND, "d", 2, L("a", "b"))));
    KEY_IS("d", "d|string|-1|\\x3c\\x00\\x00");
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_OR, "d", 3, L("a", "b", "missing"))));
    KEY_IS("d", "d|string|-1|\\xff\\x0f\\xf0");
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_XOR, "d", 3, L("a", "b", "l"))));
    KEY_IS("d", "d|string|-1|\\xc3\\x0f\\xf0");
    /* NOT: the first source only, padded with 0xff to the longest */
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_NOT, "d", 2, L("b", "a"))));
    KEY_IS("d", "d|string|-1|\\xc3\\xff\\xff");
    /* the destination may be a source */
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_XOR, "d", 2, L("d", "d"))));
    KEY_IS("d", "d|string|-1|\\x00\\x00\\x00");
    /* empty result still stores "" (Redis would delete), replacing any type */
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_AND, "l", 2, L("missing", "l"))));
    KEY_IS("l", "l|string|-1|");
    EPT_CHECK_OK(ap(BITOP(EP_BITOP_OR, "z", 0, NULL)));
    KEY_IS("z", "z|string|-1|");
}

EPT_CASE(lpush_rpush_order_and_create) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_LPUSH, "l", "a", "b", "c")));
    KEY_IS("l", "l|list|-1|[c,b,a]");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x", "y")));
    KEY_IS("l", "l|list|-1|[c,b,a,x,y]");
    EPT_CHECK_OK(ap(SET("s", "v", -1)));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_LPUSH, "s", "a")));
    KEY_IS("s", "s|string|-1|v");
}

EPT_CASE(lpop_rpop_remove_empty_key_and_ttl) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "a", "b")));
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIRE, "l", 100)));
    EPT_CHECK_OK(ap(R(EP_AOF_LPOP, "l")));
    KEY_IS("l", "l|list|100|[b]");
    EPT_CHECK_OK(ap(R(EP_AOF_RPOP, "l")));
    GONE("l");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "c")));
    KEY_IS("l", "l|list|-1|[c]"); /* ttl went with the key */
    EPT_CHECK_OK(ap(R(EP_AOF_LPOP, "missing")));
    GONE("missing");
}

static ep_aof_record LSET(const char *k, int64_t i, const char *v) {
    ep_aof_record r = Rv(EP_AOF_LSET, k, v);
    r.num = i;
    return r;
}

EPT_CASE(lset_positive_negative_and_out_of_range) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "a", "b", "c")));
    EPT_CHECK_OK(ap(LSET("l", 0, "A")));
    EPT_CHECK_OK(ap(LSET("l", -1, "C")));
    EPT_CHECK_OK(ap(LSET("l", -3, "AA")));
    EPT_CHECK_OK(ap(LSET("l", 3, "no")));
    EPT_CHECK_OK(ap(LSET("l", -4, "no")));
    EPT_CHECK_OK(ap(LSET("l", INT64_MIN, "no")));
    KEY_IS("l", "l|list|-1|[AA,b,C]");
    EPT_CHECK_OK(ap(LSET("missing", 0, "x")));
    GONE("missing");
}

static ep_aof_record LTRIM(const char *k, int64_t s, int64_t e) {
    ep_aof_record r = Rn(EP_AOF_LTRIM, k, s);
    r.num2 = e;
    return r;
}

EPT_CASE(ltrim_redis_semantics_and_the_panic_case_empties) {
    static const struct {
        int64_t s, e;
        const char *want;
    } t[] = {
        {0, 1, "l|list|-1|[a,b]"},  {1, -1, "l|list|-1|[b,c,d,e]"}, {-2, -1, "l|list|-1|[d,e]"},
        {-100, 100, "l|list|-1|[a,b,c,d,e]"}, {2, 2, "l|list|-1|[c]"}, {3, 1, "(none)"},
        {5, 10, "(none)"}, {0, -100, "(none)"} /* ember panics here */, {-100, -6, "(none)"},
        {INT64_MIN, INT64_MAX, "l|list|-1|[a,b,c,d,e]"}, {INT64_MAX, INT64_MIN, "(none)"},
    };
    size_t i;
    for (i = 0; i < sizeof t / sizeof t[0]; i++) {
        begin();
        EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "a", "b", "c", "d", "e")));
        EPT_CHECK_OK(ap(LTRIM("l", t[i].s, t[i].e)));
        KEY_IS("l", t[i].want);
    }
}

static ep_aof_record LINSERT(const char *k, int before, const char *pivot, const char *v) {
    ep_aof_record r = Rv(EP_AOF_LINSERT, k, v);
    r.flag = (uint8_t)before;
    r.pivot = ept_b(pivot);
    return r;
}

EPT_CASE(linsert_first_match_before_after) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "a", "p", "b", "p")));
    EPT_CHECK_OK(ap(LINSERT("l", 1, "p", "x")));
    KEY_IS("l", "l|list|-1|[a,x,p,b,p]");
    EPT_CHECK_OK(ap(LINSERT("l", 0, "p", "y")));
    KEY_IS("l", "l|list|-1|[a,x,p,y,b,p]");
    EPT_CHECK_OK(ap(LINSERT("l", 7, "a", "z"))); /* any non-zero = before */
    KEY_IS("l", "l|list|-1|[z,a,x,p,y,b,p]");
    EPT_CHECK_OK(ap(LINSERT("l", 1, "nope", "q")));
    KEY_IS("l", "l|list|-1|[z,a,x,p,y,b,p]");
}

static ep_aof_record LREM(const char *k, int64_t c, const char *v) {
    ep_aof_record r = Rv(EP_AOF_LREM, k, v);
    r.num = c;
    return r;
}

EPT_CASE(lrem_head_tail_all_and_remove_empty) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x", "a", "x", "b", "x", "c", "x")));
    EPT_CHECK_OK(ap(LREM("l", 2, "x")));
    KEY_IS("l", "l|list|-1|[a,b,x,c,x]");
    EPT_CHECK_OK(ap(LREM("l", -1, "x")));
    KEY_IS("l", "l|list|-1|[a,b,x,c]");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x", "x")));
    EPT_CHECK_OK(ap(LREM("l", 0, "x")));
    KEY_IS("l", "l|list|-1|[a,b,c]");
    EPT_CHECK_OK(ap(LREM("l", INT64_MIN, "b")));
    KEY_IS("l", "l|list|-1|[a,c]");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_LPUSH, "m", "q", "q")));
    EPT_CHECK_OK(ap(LREM("m", -5, "q")));
    GONE("m");
}

EPT_CASE(zadd_replaces_in_place_and_orders_by_score_then_member) {
    double s1[] = {2, 1, 1};
    double s2[] = {0.5, 7};
    begin();
    EPT_CHECK_OK(ap(ZADD("z", 3, s1, L("b", "c", "a"))));
    KEY_IS("z", "z|zset|-1|[1:a,1:c,2:b]");
    EPT_CHECK_OK(ap(ZADD("z", 2, s2, L("b", "d"))));
    KEY_IS("z", "z|zset|-1|[0.5:b,1:a,1:c,7:d]");
    EPT_CHECK_OK(ap(SET("s", "v", -1)));
    EPT_CHECK_OK(ap(ZADD("s", 1, s2, L("b"))));
    KEY_IS("s", "s|string|-1|v");
}

EPT_CASE(zrem_removes_and_drops_empty) {
    double s[] = {100, 200};
    begin();
    EPT_CHECK_OK(ap(ZADD("z", 2, s, L("alice", "bob"))));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "z", "alice", "nobody")));
    KEY_IS("z", "z|zset|-1|[200:bob]");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "z", "bob")));
    GONE("z");
}

EPT_CASE(hset_hdel) {
    begin();
    EPT_CHECK_OK(ap(HSET("h", 2, L("f1", "v1", "f2", "v2"))));
    EPT_CHECK_OK(ap(HSET("h", 1, L("f1", "new"))));
    KEY_IS("h", "h|hash|-1|{f1=new,f2=v2}");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_HDEL, "h", "f1", "zz")));
    KEY_IS("h", "h|hash|-1|{f2=v2}");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_HDEL, "h", "f2")));
    GONE("h");
}

static ep_aof_record HINCRBY(const char *k, const char *f, int64_t d) {
    ep_aof_record r = Rn(EP_AOF_HINCRBY, k, d);
    r.key2 = ept_b(f);
    return r;
}

EPT_CASE(hincrby_missing_or_bad_is_zero_and_saturates) {
    begin();
    EPT_CHECK_OK(ap(HINCRBY("h", "n", -42)));
    KEY_IS("h", "h|hash|-1|{n=-42}");
    EPT_CHECK_OK(ap(HSET("h", 2, L("s", "abc", "p", "+5"))));
    EPT_CHECK_OK(ap(HINCRBY("h", "s", 3)));
    EPT_CHECK_OK(ap(HINCRBY("h", "p", 1)));
    KEY_IS("h", "h|hash|-1|{n=-42,p=6,s=3}");
    EPT_CHECK_OK(ap(HINCRBY("h", "n", INT64_MIN)));
    EPT_CHECK_OK(ap(HINCRBY("h", "p", INT64_MAX)));
    KEY_IS("h", "h|hash|-1|{n=-9223372036854775808,p=9223372036854775807,s=3}");
    EPT_CHECK_OK(ap(SET("str", "1", -1)));
    EPT_CHECK_OK(ap(HINCRBY("str", "f", 1)));
    KEY_IS("str", "str|string|-1|1");
}

EPT_CASE(sadd_srem) {
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_SADD, "s", "a", "b", "a")));
    KEY_IS("s", "s|set|-1|{a,b}");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_SREM, "s", "a", "zz")));
    KEY_IS("s", "s|set|-1|{b}");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_SREM, "s", "b")));
    GONE("s");
}

static ep_aof_record K2(uint8_t tag, const char *k, const char *k2, uint8_t flag) {
    ep_aof_record r = ept_rec(tag, k);
    r.key2 = ept_b(k2);
    r.flag = flag;
    return r;
}

EPT_CASE(rename_moves_value_and_ttl) {
    begin();
    EPT_CHECK_OK(ap(SET("a", "1", 5000)));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "b", "x")));
    EPT_CHECK_OK(ap(K2(EP_AOF_RENAME, "a", "b", 0)));
    GONE("a");
    KEY_IS("b", "b|string|5000|1");
    EPT_CHECK_OK(ap(K2(EP_AOF_RENAME, "missing", "b", 0)));
    KEY_IS("b", "b|string|5000|1");
    EPT_CHECK_OK(ap(K2(EP_AOF_RENAME, "b", "b", 0)));
    KEY_IS("b", "b|string|5000|1");
    EPT_CHECK_OK(ap(K2(EP_AOF_RENAME, "b", "c", 0)));
    KEY_IS("c", "c|string|5000|1");
    EPT_CHECK_EQ(ep_keyspace_count(ks), 1);
}

EPT_CASE(copy_clones_ttl_honours_replace_and_is_deep) {
    double s[] = {1, 2};
    begin();
    EPT_CHECK_OK(ap(ZADD("z", 2, s, L("a", "b"))));
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIRE, "z", 777)));
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "z", "y", 0)));
    KEY_IS("y", "y|zset|777|[1:a,2:b]");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "z", "a")));
    KEY_IS("y", "y|zset|777|[1:a,2:b]");
    EPT_CHECK_OK(ap(SET("s", "v", -1)));
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "z", "s", 0)));
    KEY_IS("s", "s|string|-1|v");
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "z", "s", 1)));
    KEY_IS("s", "s|zset|777|[2:b]");
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "nope", "s", 1)));
    KEY_IS("s", "s|zset|777|[2:b]");
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "s", "s", 1)));
    KEY_IS("s", "s|zset|777|[2:b]");
    /* every type copies */
    EPT_CHECK_OK(ap(HSET("h", 1, L("f", "v"))));
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "h", "h2", 0)));
    KEY_IS("h2", "h2|hash|-1|{f=v}");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_SADD, "st", "m")));
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "st", "st2", 0)));
    KEY_IS("st2", "st2|set|-1|{m}");
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "a", "b")));
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "l", "l2", 0)));
    KEY_IS("l2", "l2|list|-1|[a,b]");
    EPT_CHECK_OK(ap(VADD("v", "e", 1, 2, 1)));
    EPT_CHECK_OK(ap(K2(EP_AOF_COPY, "v", "v2", 0)));
    KEY_IS("v2", "v2|vector|-1|1,1,16,64[e=\\x00\\x00\\x80\\x3f\\x00\\x00\\x00\\x40]");
}

EPT_CASE(vadd_creates_with_config_replaces_and_appends) {
    begin();
    EPT_CHECK_OK(ap(VADD("v", "b", 1, 0, 2)));
    EPT_CHECK_OK(ap(VADD("v", "a", 0, 0, 0))); /* config of later records is ignored */
    EPT_CHECK_OK(ap(VADD("v", "b", 0, 0, 1)));
    KEY_IS("v", "v|vector|-1|2,1,16,64[b=\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00,a=\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00]");
    {
        const ep_ks_entry *e = ep_keyspace_get(ks, "v", 1);
        uint32_t dim = 0;
        EPT_CHECK(ep_ks_entry_vector_config(e, NULL, NULL, NULL, NULL, &dim) && dim == 2);
    }
    EPT_CHECK_OK(ap(SET("s", "v", -1)));
    EPT_CHECK_OK(ap(VADD("s", "a", 0, 0, 0)));
    KEY_IS("s", "s|string|-1|v");
}

EPT_CASE(vrem_removes_and_drops_empty) {
    begin();
    EPT_CHECK_OK(ap(VADD("v", "a", 1, 1, 0)));
    EPT_CHECK_OK(ap(VADD("v", "b", 2, 2, 0)));
    EPT_CHECK_OK(ap(K2(EP_AOF_VREM, "v", "a", 0)));
    EPT_CHECK_EQ(ep_ks_entry_len(ep_keyspace_get(ks, "v", 1)), 1);
    EPT_CHECK_OK(ap(K2(EP_AOF_VREM, "v", "b", 0)));
    GONE("v");
}

EPT_CASE(proto_set_and_register) {
    ep_bytes n, d;
    ep_aof_record r;
    begin();
    r = ept_rec(EP_AOF_PROTO_REGISTER, "users");
    r.value = ept_b("desc a");
    EPT_CHECK_OK(ap(r));
    r = Rv(EP_AOF_PROTO_SET, "u1", "\x08\x01");
    r.key2 = ept_b("users.User");
    r.num = 3000;
    EPT_CHECK_OK(ap(r));
    r = ept_rec(EP_AOF_PROTO_REGISTER, "users");
    r.value = ept_b("desc b");
    EPT_CHECK_OK(ap(r));
    EPT_CHECK_EQ(ep_keyspace_count(ks), 1);
    KEY_IS("u1", "u1|proto|3000|users.User:\\x08\\x01");
    EPT_CHECK_EQ(ep_keyspace_schema_count(ks), 1);
    EPT_CHECK(ep_keyspace_schema_at(ks, 0, &n, &d));
    EPT_CHECK(n.len == 5 && memcmp(n.data, "users", 5) == 0);
    EPT_CHECK(d.len == 6 && memcmp(d.data, "desc b", 6) == 0);
    r = Rv(EP_AOF_PROTO_SET, "u1", "x");
    r.key2 = ept_b("T");
    r.num = -1;
    EPT_CHECK_OK(ap(r));
    KEY_IS("u1", "u1|proto|-1|T:x");
}

EPT_CASE(wrong_type_records_are_ignored) {
    double s[] = {1};
    ep_aof_record r;
    begin();
    EPT_CHECK_OK(ap(PUSH(EP_AOF_RPUSH, "l", "x")));
    EPT_CHECK_OK(ap(HSET("l", 1, L("f", "v"))));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_SADD, "l", "m")));
    EPT_CHECK_OK(ap(ZADD("l", 1, s, L("m"))));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "l", "x")));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_SREM, "l", "x")));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_HDEL, "l", "x")));
    EPT_CHECK_OK(ap(K2(EP_AOF_VREM, "l", "x", 0)));
    EPT_CHECK_OK(ap(HINCRBY("l", "f", 1)));
    EPT_CHECK_OK(ap(SETBIT("l", 1, 1)));
    KEY_IS("l", "l|list|-1|[x]");
    EPT_CHECK_OK(ap(SET("s", "v", -1)));
    EPT_CHECK_OK(ap(R(EP_AOF_LPOP, "s")));
    EPT_CHECK_OK(ap(LSET("s", 0, "q")));
    EPT_CHECK_OK(ap(LTRIM("s", 1, 0)));
    EPT_CHECK_OK(ap(LINSERT("s", 1, "v", "q")));
    EPT_CHECK_OK(ap(LREM("s", 0, "v")));
    KEY_IS("s", "s|string|-1|v");
    r = ept_rec(99, "s");
    EPT_CHECK_EQ(ap(r), EP_ERR_INVALID_ARG);
}

EPT_CASE(expired_key_still_acts_until_the_end_of_replay) {
    begin();
    EPT_CHECK_OK(ap(SET("k", "5", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_EXPIRE, "k", 0)));
    EPT_CHECK_OK(ap(R(EP_AOF_INCR, "k")));
    KEY_IS("k", "k|string|0|6");
    EPT_CHECK_OK(ap(R(EP_AOF_PERSIST, "k")));
    EPT_CHECK_EQ(ep_keyspace_drop_expired(ks), 0);
    KEY_IS("k", "k|string|-1|6");
}

/* ---- recovery.rs (§6) without files ---- */

static ep_snap_entry SNAP_STR(const char *k, const char *v, int64_t ttl) {
    ep_snap_entry e;
    memset(&e, 0, sizeof e);
    e.key = ept_b(k);
    e.type = EP_TYPE_STRING;
    e.value = ept_b(v);
    e.expire_ms = ttl;
    return e;
}

EPT_CASE(rs_snapshot_then_aof_overrides) {
    ep_snap_entry e = SNAP_STR("a", "old", -1);
    begin();
    EPT_CHECK_OK(ep_keyspace_load_entry(ks, &e));
    EPT_CHECK_OK(ap(SET("a", "new", -1)));
    EPT_CHECK_OK(ap(SET("b", "added", -1)));
    KEY_IS("a", "a|string|-1|new");
    KEY_IS("b", "b|string|-1|added");
}

EPT_CASE(rs_snapshot_expired_entry_dropped) {
    ep_snap_entry e1 = SNAP_STR("gone", "x", 0), e2 = SNAP_STR("kept", "y", 60000);
    begin();
    EPT_CHECK_OK(ep_keyspace_load_entry(ks, &e1));
    EPT_CHECK_OK(ep_keyspace_load_entry(ks, &e2));
    ep_keyspace_drop_expired(ks);
    GONE("gone");
    KEY_IS("kept", "kept|string|60000|y");
}

EPT_CASE(rs_set_then_del_is_empty) {
    begin();
    EPT_CHECK_OK(ap(SET("a", "1", -1)));
    EPT_CHECK_OK(ap(R(EP_AOF_DEL, "a")));
    EPT_CHECK_EQ(ep_keyspace_count(ks), 0);
}

EPT_CASE(rs_sorted_set_snapshot_then_zadd_zrem) {
    ep_snap_entry e;
    double sc[] = {100, 200};
    double one[] = {5};
    begin();
    memset(&e, 0, sizeof e);
    e.key = ept_b("board");
    e.type = EP_TYPE_ZSET;
    e.expire_ms = -1;
    e.items = ept_items_zadd(1, sc, L("carol"));
    EPT_CHECK_OK(ep_keyspace_load_entry(ks, &e));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "board", "carol")));
    EPT_CHECK_OK(ap(ZADD("board", 2, sc, L("alice", "bob"))));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "board", "alice")));
    KEY_IS("board", "board|zset|-1|[200:bob]");
    EPT_CHECK_OK(ap(ZADD("t", 1, one, L("x"))));
    EPT_CHECK_OK(ap(PUSH(EP_AOF_ZREM, "t", "x")));
    GONE("t");
}

EPT_CASE(rs_ttls_expire_persist_pexpire) {
    begin();
    EPT_CHECK_OK(ap(SET("a", "1", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_EXPIRE, "a", 300)));
    EPT_CHECK_OK(ap(SET("b", "1", 60000)));
    EPT_CHECK_OK(ap(R(EP_AOF_PERSIST, "b")));
    EPT_CHECK_OK(ap(SET("c", "1", -1)));
    EPT_CHECK_OK(ap(Rn(EP_AOF_PEXPIRE, "c", 5000)));
    KEY_IS("a", "a|string|300000|1");
    KEY_IS("b", "b|string|-1|1");
    KEY_IS("c", "c|string|5000|1");
}

EPT_CASE(rs_vector_snapshot_and_records) {
    ep_snap_entry e;
    uint8_t raw[24];
    ep_bytes names[2], vecs[2];
    ep_buf b;
    int i;
    begin();
    for (i = 0; i < 6; i++) ep_store_f32le(raw + 4 * i, (float)i);
    names[0] = ept_b("x");
    names[1] = ept_b("y");
    vecs[0] = ep_bytes_of(raw, 12);
    vecs[1] = ep_bytes_of(raw + 12, 12);
    ep_buf_init(&b, NULL);
    memset(&e, 0, sizeof e);
    e.key = ept_b("vs");
    e.type = EP_TYPE_VECTOR;
    e.expire_ms = -1;
    e.metric = 1;
    e.dim = 3;
    EPT_CHECK_OK(ep_items_build(&b, EP_ITEMS_NAME_VECTOR, names, vecs, NULL, 2, &e.items));
    EPT_CHECK_OK(ep_keyspace_load_entry(ks, &e));
    ep_buf_free(&b);
    {
        const ep_ks_entry *v = ep_keyspace_get(ks, "vs", 2);
        uint32_t dim = 0;
        EPT_CHECK(v && ep_ks_entry_len(v) == 2);
        EPT_CHECK(ep_ks_entry_vector_config(v, NULL, NULL, NULL, NULL, &dim) && dim == 3);
    }
    EPT_CHECK_OK(ap(VADD("w", "a", 1, 1, 0)));
    EPT_CHECK_OK(ap(VADD("w", "b", 1, 1, 0)));
    EPT_CHECK_OK(ap(K2(EP_AOF_VREM, "w", "a", 0)));
    KEY_IS("w", "w|vector|-1|0,1,16,64[b=\\x00\\x00\\x80\\x3f\\x00\\x00\\x80\\x3f]");
}

/* The keyspace against the reference model on random record sequences. */
EPT_CASE(random_sequences_match_the_model) {
    uint64_t seed = ept_seed(), rng = seed;
    long seq, nseq = ept_scale(2000, 10);
    for (seq = 0; seq < nseq && !ept_failed(); seq++) {
        ept_model *m = ept_model_new();
        int i, n = 1 + (int)(ept_rand(&rng) % 60);
        char *a, *b;
        begin();
        for (i = 0; i < n; i++) {
            ep_aof_record r = ept_random_record(&rng);
            ep_result res = ep_keyspace_apply(ks, &r, NOW);
            EPT_EXPECT(res == EP_OK || res == EP_ERR_BAD_VALUE || res == EP_ERR_LIMIT);
            ept_model_apply(m, &r, NOW);
        }
        if (ept_rand(&rng) % 2) {
            ep_keyspace_drop_expired(ks);
            ept_model_drop_expired(m);
        }
        a = ept_ks_dump(ks);
        b = ept_model_dump(m);
        if (strcmp(a, b) != 0) {
            fprintf(stderr, "sequence %ld differs (seed %llu)\nkeyspace:\n%s\nmodel:\n%s\n", seq,
                    (unsigned long long)seed, a, b);
            EPT_EXPECT(0);
        }
        free(a);
        free(b);
        ept_model_free(m);
    }
    ep_keyspace_free(ks);
    ks = NULL;
    ept_pool_reset();
}

EPT_CASE(zz_cleanup) {
    ep_keyspace_free(ks);
    ks = NULL;
    ept_pool_reset();
}

EPT_MAIN()
