/* Test support for the keyspace and recovery tests:
 *  - a canonical text dump of a keyspace (sorted keys; hash fields and set
 *    members sorted; lists, sorted sets and vector sets in their order), so a
 *    test compares whole states as strings;
 *  - a reference model of the §5.2 replay rules, written separately and
 *    deliberately simply (arrays, linear search), that dumps in the same format;
 *  - small builders for records (items kept alive in a pool). */
#ifndef EPT_MODEL_H
#define EPT_MODEL_H

#include "ember_persist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One line per key: "key|type|ttl|value\n". Bytes outside [A-Za-z0-9_.-]
 * appear as \xHH. malloc'd; free() it. */
char *ept_ks_dump(const ep_keyspace *ks);
/* The line of one key without the newline, or "(none)". malloc'd. */
char *ept_ks_dump_key(const ep_keyspace *ks, const char *key);

/* ---- reference model ---- */
typedef struct ept_model ept_model;
ept_model *ept_model_new(void);
void ept_model_free(ept_model *m);
ept_model *ept_model_clone(const ept_model *m);
void ept_model_apply(ept_model *m, const ep_aof_record *rec, int64_t now_unix_ms);
void ept_model_load_entry(ept_model *m, const ep_snap_entry *e);
void ept_model_drop_expired(ept_model *m);
char *ept_model_dump(const ept_model *m);
/* Read access (for the keyspace read tests): 1 and the key's type, ttl and
 * string value (STRING/PROTO data) if present, else 0. Any output may be NULL. */
int ept_model_key(const ept_model *m, ep_bytes key, int *type, int64_t *ttl, ep_bytes *str);
/* The key's elements in their canonical order (list head to tail; zset by
 * (score, member); hash, set, vector as stored): up to max into out (views
 * into the model, valid until it changes); returns how many it has. */
size_t ept_model_elems(const ept_model *m, ep_bytes key, ep_item *out, size_t max);

/* Checks (EPT_CHECK) that it, positioned by ep_ks_value_iter_range on
 * start..stop (rev: from the highest) with *count, gives exactly the
 * elements of want[0..n) in that window by Redis's clamping, with their
 * scores when scores is non-zero, and that count says how many. */
void ept_check_window(ep_ks_value_iter *it, const ep_item *want, size_t n, int64_t start, int64_t stop, int rev,
                      int scores, size_t count);

/* ---- record builders ----
 * Items are encoded into a pool of buffers that lives until ept_pool_reset(). */
ep_bytes ept_b(const char *s);
ep_aof_record ept_rec(uint8_t tag, const char *key);
/* n C strings as BYTES/STR items. */
ep_items ept_items_strs(ep_items_kind kind, int n, const char *const *s);
/* n (score, member) pairs. */
ep_items ept_items_zadd(int n, const double *scores, const char *const *members);
/* n (field, value) pairs: s = f0, v0, f1, v1 ... */
ep_items ept_items_pairs(int n, const char *const *s);
/* Bytes kept in the pool (copied). */
ep_bytes ept_pool_bytes(const void *data, size_t len);
void ept_pool_reset(void);

/* A random record over a small key space, for property tests; the views
 * point into the pool. */
ep_aof_record ept_random_record(uint64_t *rng);

#ifdef __cplusplus
}
#endif

#endif
