/* bench [DIR]: what this disk gives, measured in one run: buffered append,
 * replay (the AOF reader), recovery (into the keyspace), durable append
 * (fsync=always, one sync per record) beside a bare write + fdatasync loop of
 * the same sizes, and buffered throughput beside a bare sequential write.
 * The ratios say how close the library comes to the disk. Files go to a new
 * directory under DIR (default: the current one) and are removed after. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct bench_fig {
    const char *name;
    uint64_t ops, bytes;
    double secs;
} bench_fig;

typedef struct bench {
    char dir[4096], aof[4200], bare[4200];
    ep_vfs os;
    unsigned long records, value_size, durable;
    uint8_t *value;
    cli_progress bar;
    bench_fig fig[6];
    int nfig;
} bench;

static double rate(const bench_fig *f) { return f->secs > 0 ? (double)f->ops / f->secs : 0; }
static double mbps(const bench_fig *f) { return f->secs > 0 ? (double)f->bytes / f->secs / 1e6 : 0; }

static bench_fig *fig(bench *b, const char *name) {
    bench_fig *f = &b->fig[b->nfig++];
    memset(f, 0, sizeof *f);
    f->name = name;
    return f;
}

static int fail(const char *what, ep_result r, const ep_error *e) {
    fprintf(stderr, "ember-persist bench: %s: %s\n", what, e && e->message[0] ? e->message : ep_result_str(r));
    return cli_exit_for(r);
}

static void key_of(char *k, size_t cap, unsigned long i) { snprintf(k, cap, "key:%08lu", i); }

/* n SET records with policy pol; the figure covers the appends and the final close (sync). */
static int append_run(bench *b, bench_fig *f, ep_fsync_policy pol, unsigned long n) {
    ep_aof_writer_config c;
    ep_aof_writer *w = NULL;
    ep_aof_stats st;
    ep_error err;
    ep_result r;
    char k[32];
    unsigned long i;
    double t0;
    (void)b->os.remove(&b->os, b->aof, NULL);
    ep_aof_writer_config_init(&c);
    c.fsync = pol;
    ep_error_clear(&err);
    if ((r = ep_aof_writer_open(b->aof, &c, &w, &err)) != EP_OK) return fail("open the AOF", r, &err);
    cli_progress_begin(&b->bar, f->name, (uint64_t)n * (b->value_size + 20));
    t0 = cli_now();
    for (i = 0; i < n; i++) {
        key_of(k, sizeof k, i);
        if ((r = ep_aof_set(w, ep_bytes_str(k), ep_bytes_of(b->value, b->value_size), -1)) != EP_OK) {
            err = *ep_aof_writer_error(w);
            (void)ep_aof_writer_close(w);
            cli_progress_end(&b->bar);
            return fail("append", r, &err);
        }
        if ((i & 255u) == 0) cli_progress_update(&b->bar, (uint64_t)i * (b->value_size + 20));
    }
    ep_aof_writer_stats(w, &st);
    if ((r = ep_aof_writer_close(w)) != EP_OK) {
        cli_progress_end(&b->bar);
        return fail("close (sync) the AOF", r, NULL);
    }
    f->secs = cli_now() - t0;
    cli_progress_end(&b->bar);
    f->ops = n;
    f->bytes = st.size;
    return 0;
}

static int replay_run(bench *b, bench_fig *f) {
    ep_aof_reader *r = NULL;
    ep_aof_record rec;
    ep_error err;
    ep_result res;
    double t0 = cli_now();
    ep_error_clear(&err);
    if ((res = ep_aof_reader_open(b->aof, NULL, &r, &err)) != EP_OK) return fail("open the AOF", res, &err);
    while ((res = ep_aof_reader_next(r, &rec)) == EP_OK) f->ops++;
    ep_aof_reader_close(r);
    f->secs = cli_now() - t0;
    (void)b->os.stat(&b->os, b->aof, &f->bytes, NULL);
    return res == EP_END ? 0 : fail("replay", res, NULL);
}

static int recover_run(bench *b, bench_fig *f) {
    ep_recover_result res;
    ep_result r;
    double t0 = cli_now();
    ep_error err;
    if ((r = ep_recover_shard(b->dir, 0, NULL, &res, &err)) != EP_OK) return fail("recover", r, &err);
    f->secs = cli_now() - t0;
    f->ops = res.records_read;
    (void)b->os.stat(&b->os, b->aof, &f->bytes, NULL);
    ep_recover_result_free(&res);
    return 0;
}

/* The same sizes through the OS directly: write then sync, n times (durable),
 * or everything in 1 MiB writes and one sync (sequential). */
static int bare_run(bench *b, bench_fig *f, uint64_t each, unsigned long n, int sync_each) {
    ep_file *fh = NULL;
    ep_error err;
    ep_result r;
    uint8_t *buf;
    uint64_t at = 0;
    unsigned long i;
    double t0;
    size_t chunk = sync_each ? (size_t)each : (size_t)1 << 20;
    uint64_t total = sync_each ? each * n : each;
    buf = (uint8_t *)calloc(1, chunk);
    if (!buf) return CLI_EXIT_SOFTWARE;
    ep_error_clear(&err);
    (void)b->os.remove(&b->os, b->bare, NULL);
    r = b->os.open(&b->os, b->bare, EP_OPEN_WRITE | EP_OPEN_CREATE | EP_OPEN_TRUNCATE, &fh, &err);
    if (r != EP_OK) {
        free(buf);
        return fail("open the bare file", r, &err);
    }
    cli_progress_begin(&b->bar, f->name, total);
    t0 = cli_now();
    for (i = 0; r == EP_OK && at < total; i++) {
        size_t len = (size_t)(total - at < chunk ? total - at : chunk);
        r = b->os.write(&b->os, fh, at, buf, len, &err);
        at += len;
        if (r == EP_OK && sync_each) r = b->os.sync(&b->os, fh, &err);
        if ((i & 63u) == 0) cli_progress_update(&b->bar, at);
    }
    if (r == EP_OK && !sync_each) r = b->os.sync(&b->os, fh, &err);
    f->secs = cli_now() - t0;
    cli_progress_end(&b->bar);
    (void)b->os.close(&b->os, fh, NULL);
    free(buf);
    f->ops = sync_each ? n : 1;
    f->bytes = at;
    return r == EP_OK ? 0 : fail("bare write", r, &err);
}

static void print_text(const bench *b) {
    const bench_fig *ap = &b->fig[0], *rp = &b->fig[1], *rc = &b->fig[2], *du = &b->fig[3], *bd = &b->fig[4],
                    *bs = &b->fig[5];
    int i;
    printf("ember-persist bench in %s: %lu records of %lu-byte values (durable: %lu)\n\n", b->dir, b->records,
           b->value_size, b->durable);
    printf("  %-34s %14s %10s %10s\n", "figure", "per second", "MB/s", "us each");
    for (i = 0; i < b->nfig; i++) {
        {
            const bench_fig *f = &b->fig[i];
            if (f->ops <= 1) /* one big write: only its throughput means something */
                printf("  %-34s %14s %10.1f %10s\n", f->name, "-", mbps(f), "-");
            else
                printf("  %-34s %14.0f %10.1f %10.2f\n", f->name, rate(f), mbps(f), f->secs * 1e6 / (double)f->ops);
        }
    }
    printf("\n  durable append / bare write+fdatasync: %.2f (1.00 = the disk's own limit)\n",
           rate(bd) > 0 ? rate(du) / rate(bd) : 0.0);
    printf("  buffered append MB/s / bare sequential write MB/s: %.2f\n", mbps(bs) > 0 ? mbps(ap) / mbps(bs) : 0.0);
    printf("  replay %.1fx and recovery %.1fx the buffered append rate\n", rate(ap) > 0 ? rate(rp) / rate(ap) : 0.0,
           rate(ap) > 0 ? rate(rc) / rate(ap) : 0.0);
    printf("\n(one run on a possibly busy machine: repeat it for a steady figure)\n");
}

static void print_json(const bench *b) {
    int i;
    const bench_fig *ap = &b->fig[0], *du = &b->fig[3], *bd = &b->fig[4], *bs = &b->fig[5];
    fputs("{\"dir\": ", stdout);
    cli_json_str(stdout, b->dir);
    printf(", \"records\": %lu, \"value_size\": %lu, \"durable_records\": %lu, \"figures\": [", b->records,
           b->value_size, b->durable);
    for (i = 0; i < b->nfig; i++)
        printf("%s{\"name\": \"%s\", \"ops\": %llu, \"bytes\": %llu, \"seconds\": %.6f, \"per_second\": %.1f, "
               "\"mb_per_second\": %.3f}",
               i ? ", " : "", b->fig[i].name, (unsigned long long)b->fig[i].ops, (unsigned long long)b->fig[i].bytes,
               b->fig[i].secs, rate(&b->fig[i]), mbps(&b->fig[i]));
    printf("], \"ratios\": {\"durable_vs_bare_fdatasync\": %.4f, \"append_vs_bare_sequential\": %.4f}}\n",
           rate(bd) > 0 ? rate(du) / rate(bd) : 0.0, mbps(bs) > 0 ? mbps(ap) / mbps(bs) : 0.0);
}

/* A new directory under parent. */
static int make_dir(bench *b, const char *parent) {
    int i;
    for (i = 0; i < 100; i++) {
        char name[64];
        snprintf(name, sizeof name, "ember-bench-%lx-%d", (unsigned long)time(NULL), i);
        if (ep_path_join(b->dir, sizeof b->dir, parent, name) != EP_OK) return 0;
        if (b->os.stat(&b->os, b->dir, NULL, NULL) == EP_ERR_NOT_FOUND) return b->os.mkdir(&b->os, b->dir, NULL) == EP_OK;
    }
    return 0;
}

int cmd_bench(int argc, char **argv) {
    cli_opts o;
    bench *b;
    int rc = cli_parse("bench", argc, argv, CLI_OPT_JSON | CLI_OPT_RECORDS | CLI_OPT_VALUE_SIZE, 0, 1, &o);
    uint64_t each;
    if (rc >= 0) return rc;
    b = (bench *)calloc(1, sizeof *b);
    if (!b || ep_vfs_os_init(&b->os) != EP_OK) {
        free(b);
        return CLI_EXIT_SOFTWARE;
    }
    b->records = o.records ? o.records : 200000;
    b->value_size = o.value_size ? o.value_size : 100;
    b->durable = b->records / 100 < 100 ? (b->records < 100 ? b->records : 100) : b->records / 100;
    if (b->value_size > (1ul << 24) || !(b->value = (uint8_t *)malloc(b->value_size))) {
        fprintf(stderr, "ember-persist bench: --value-size is at most 16 MiB\n");
        free(b);
        return CLI_EXIT_USAGE;
    }
    memset(b->value, 'v', b->value_size);
    if (!make_dir(b, o.npos ? o.pos[0] : ".")) {
        fprintf(stderr, "ember-persist bench: cannot make a directory under %s\n", o.npos ? o.pos[0] : ".");
        free(b->value);
        free(b);
        return CLI_EXIT_CANTCREAT;
    }
    ep_aof_path(b->dir, 0, b->aof, sizeof b->aof);
    ep_path_join(b->bare, sizeof b->bare, b->dir, "bare.dat");
    rc = append_run(b, fig(b, "append (buffered, one sync at end)"), EP_FSYNC_NO, b->records);
    if (!rc) rc = replay_run(b, fig(b, "replay (AOF reader)"));
    if (!rc) rc = recover_run(b, fig(b, "recovery (into the keyspace)"));
    if (!rc) rc = append_run(b, fig(b, "durable append (fsync=always)"), EP_FSYNC_ALWAYS, b->durable);
    each = b->fig[3].ops ? (b->fig[3].bytes - EP_AOF_HEADER_SIZE) / b->fig[3].ops : 1;
    if (!rc) rc = bare_run(b, fig(b, "bare write+fdatasync, same sizes"), each ? each : 1, b->durable, 1);
    if (!rc) rc = bare_run(b, fig(b, "bare sequential write + 1 sync"), b->fig[0].bytes, 1, 0);
    if (!rc) {
        if (o.json) print_json(b);
        else print_text(b);
    }
    (void)b->os.remove(&b->os, b->aof, NULL);
    (void)b->os.remove(&b->os, b->bare, NULL);
    (void)remove(b->dir); /* the directory, empty now */
    free(b->value);
    free(b);
    return rc;
}
