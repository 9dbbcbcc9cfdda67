/* consistency.h - self-consistency: how much N sampled answers to one request agree
 * (word and word-bigram overlap), so that an answer the model would not give again can
 * be flagged or sent to review. Not public. */
#ifndef STEWARD_CONSISTENCY_H
#define STEWARD_CONSISTENCY_H

#include <stddef.h>

/* Overlap of two texts: the Dice coefficient of their word multisets (*unigram) and of
 * their word-bigram multisets (*bigram), each in [0, 1] (1: same words in the same
 * order). Words are runs of letters and digits; every Han, kana or hangul character is a
 * word of its own, so Chinese text is compared character by character. Two empty texts
 * agree fully. Returns (unigram + bigram) / 2, or -1 when out of memory. */
double sw_text_agreement(const char *a, size_t na, const char *b, size_t nb, double *unigram, double *bigram);

#endif
