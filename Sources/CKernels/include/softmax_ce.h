#ifndef SEMISEG_SOFTMAX_CE_H
#define SEMISEG_SOFTMAX_CE_H
/// Fused softmax cross-entropy over the class axis (docs/ARCHITECTURE.md §1, Engine): logits [N][K][S] (S = the
/// spatial extent, contiguous), integer class targets stored as float [N][S] (truncated toward zero like Swift's
/// Int(_:)). exp and log are 16-lane polynomials (Cephes' single-precision coefficients, within 2 ulp of libm).
/// Work is split into rows: row r is sample r / rows_per_sample, positions [(r % rows_per_sample) * SSK_CE_ROW, +ROW).

/// Positions per row: the unit of the per-row partial sums (their count and order do not depend on the threads).
#define SSK_CE_ROW 4096

/// Rows [r0, r1) of the loss: per position the weight w = (cw ? cw[t] : 1) * (vw ? vw[n][s] : 1) and the negative
/// log-likelihood nll = log(sum_c exp(x_c - m)) + m - x_t (m = max_c x_c). Writes partial[r] = sum over the row of
/// (double)(w * nll) (when partial != NULL), nll[n][s] (when nll != NULL), and
/// grad[n][c][s] = (softmax_c - [c == t]) * w * scale (when grad != NULL), or softmax_c itself when onehot == 0.
/// Returns the number of positions whose target is not in 0..<K (nothing is written for them but zeros).
long ssk_softmax_ce_rows(const float *x, const float *target, const float *cw, const float *vw, int K, long S,
                         long r0, long r1, double *partial, float *nll, float *grad, float scale, int onehot);

/// Backward of the per-position loss: gx[n][c][s] = (p[n][c][s] - [c == t]) * g[n][s] for rows [r0, r1).
void ssk_softmax_ce_backward_rows(const float *p, const float *target, const float *g, float *gx, int K, long S,
                                  long r0, long r1);

/// Sum over rows [r0, r1) of the weights w (as above) into partial[r]; returns the count of targets outside 0..<K.
long ssk_ce_weight_rows(const float *target, const float *cw, const float *vw, int K, long S, long r0, long r1,
                        double *partial);

/// Soft-Dice sums of the softmax over rows [r0, r1): per row r and class c, sums[(r * K + c) * 3 + 0..2] =
/// sum of (p_c w)(y_c w), of p_c w and of y_c w over the row's positions (double; w = vw or 1, y_c = [t == c]), and
/// prob[n][c][s] = p_c when prob != NULL. Returns the count of targets outside 0..<K.
long ssk_softmax_dice_rows(const float *x, const float *target, const float *vw, int K, long S, long r0, long r1,
                           double *sums, float *prob);

/// Backward of those sums through the softmax: with d_c = (gtp[n][c] y_c w) w + gps[n][c] w, gx[n][c][s] =
/// p_c (d_c - sum_k d_k p_k) for rows [r0, r1).
void ssk_softmax_dice_backward_rows(const float *p, const float *target, const float *vw, const float *gtp,
                                    const float *gps, float *gx, int K, long S, long r0, long r1);

/// Softmax (log_out == 0) or log-softmax over the class axis of x [N][K][S] into y for rows [r0, r1) (y must not alias x).
void ssk_softmax_rows(const float *x, float *y, int K, long S, long r0, long r1, int log_out);

/// Their backward rules from the output y and its gradient g: softmax gx = y (g - sum_c g y), log-softmax
/// gx = g - exp(y) sum_c g.
void ssk_softmax_backward_rows(const float *y, const float *g, float *gx, int K, long S, long r0, long r1, int log_out);
#endif
