/*
 * quantile.h: the nearest-rank quantile of sorted samples, as
 * vocabulary::stats::quantile_ns computes it, shared by ring.c and
 * pingpong.c so both C references report percentiles the way ringside does.
 */
#ifndef RINGSIDE_QUANTILE_H
#define RINGSIDE_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

/* qsort comparator for uint64_t samples. */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least q of them at or below it. */
static uint64_t quantile(const uint64_t *sorted, size_t n, double q) {
    double r = q * (double)n;
    size_t rank = (size_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

#endif
