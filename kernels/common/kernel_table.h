/*
 * The kernels of one ISA in one build, written once for every ISA.
 *
 * Each kernels/<isa>/<isa>.c defines SM_KERNEL_ISA, includes its vector
 * helpers (vec.h) and then this file. meson.build compiles it eight times:
 * once per exp mode (common/exp_mode.h: the build defines SM_EXP_FAST) for
 * the ops that write a probability per entry (exp_entries.h; the exact
 * build also holds the ISA's kernel table sm_kernels_<isa>,
 * common/table.h) and once per exp mode for those that select entries
 * (SM_SELECT_OPS: select_entries.h: argmax, top-n) and once per exp mode
 * for the online state's ops (SM_STREAM_OPS: stream_entries.h), and once
 * for the ops without an exp that write a row (SM_SPARSE_OPS:
 * sparse_entries.h: sparsemax, hardmax), and once for the Gumbel-softmax
 * noise (SM_GUMBEL_OPS: gumbel_entries.h). Builds of their own
 * keep each group's machine code independent of the other's.
 * Includes go one way, down: the entry files include the ops
 * (softmax_rows.h, probes.h, loss_*.h, backward.h, argmax.h, top.h), they
 * include
 * the strategies they use (columns.h, wide_rows.h, block_rows.h,
 * row_groups.h, row_passes.h) and all of them the row statistics of the
 * contract (row_stats.h, on chunk_sum.h, on row_math.h).
 *
 * Names: a function named X_with takes as constants the booleans (a
 * finite row, beta = 1, the extremum's side, ...) that X or its caller
 * fixes once per call or row, so that each combination compiles to its own
 * loop; X_inline is the inline body of an out-of-line X; an X_nv takes the
 * row's vector count nv, a constant in each case of its caller's switch.
 * A row group is SM_ROW_GROUP consecutive rows whose statistics go ahead
 * of their output passes (row_groups.h); a column group is SM_VW rows of
 * at most SM_VW entries taken transposed (columns.h). SM_EXP_FAST (0 or 1)
 * is the build's exp mode: exp_nonpos and the fast exp's 32-element
 * blocks read it.
 *
 * The helpers vec.h provides:
 *
 *   SM_VW                      float lanes per vector (divides 32); a
 *                              run-time int for SVE
 *   SM_VLA                     defined for sizeless vectors (SVE): no
 *                              arrays of sm_v, no sm_v in structs
 *   sm_v, sm_m                 float vector, lane mask
 *   sm_acc                     32 double lanes (the contract's sum order)
 *   v_load, v_store            full vectors, unaligned
 *   v_load_part(p, c, fill)    lanes < c from p, the rest = fill (c < SM_VW)
 *   v_store_part(p, c, v)      lanes < c to p, nothing else touched
 *   v_set1, v_add, v_sub, v_mul
 *   v_max(x, a), v_min(x, a)   return a where x is NaN (NaN is ignored)
 *   v_hmax, v_hmin             horizontal extremum of one vector
 *   v_exp                      SLEEF finz u10 expf of this ISA (the call)
 *   SM_HAVE_EXP_U10            optional: the default mode computes that exp
 *                              inline (common/exp_u10.h), not by the call
 *   v_log                      SLEEF finz u10 logf of this ISA (the KL loss)
 *   v_fma(a, b, c)             a * b + c, fused (one rounding)
 *   v_ldexp_split(p, z)        p * 2^(n >> 1) * 2^(n - (n >> 1)) with n in
 *                              the low bits of z = 0x1.8p23 + n (fast exp)
 *   v_ldexp_normal(p, z)       p * 2^n by adding n to the exponent field
 *                              (exact while the result is normal)
 *   v_frexp_sqrt2(x, &e)       m with x = 2^e m, m in [sqrt(1/2), sqrt(2)),
 *                              e as a float (positive normal x; the noise's
 *                              log, noise_log.h)
 *   v_all_ge(a, b)             every lane a >= b (ordered)
 *   m_eq(a, b)                 ordered a == b
 *   m_lt(a, b)                 ordered a < b
 *   m_first(c), m_and, m_or, m_count  lanes < c, AND, OR, popcount
 *   v_sel(m, a, b)             m ? a : b
 *   acc_zero(acc)
 *   acc_add(acc, v, e)         adds vector v (0 <= v < 32 / SM_VW) of a
 *                              32-element block to lanes v*SM_VW...
 *   acc_add_unless(acc, v, e, eq)  optional (SM_HAVE_ACC_ADD_UNLESS):
 *                              acc_add with +0 in the lanes of eq
 *   acc_fold(acc)              the 32 lanes folded pairwise: l += l+16,
 *                              l += l+8, ... l += l+1 (the contract's tree)
 *   acc_set(acc, v, e)         not VLA: acc_add to lanes nothing was added to
 *   acc_fold_nv(acc, nv)       not VLA: acc_fold of a block of exps whose
 *                              vectors nv and up were never added; it may
 *                              leave out the levels that add only their +0
 *   SM_EXPD, SM_LOGD           SLEEF finz u10 double functions (scalar;
 *                              log1p is common/log1p.h, the same code on
 *                              every ISA)
 *   SM_SUM_TILE                nonzero: sum the exps per tile of this many
 *                              elements (when the 32 double lanes and the
 *                              exp's constants do not fit in registers, or
 *                              the adds vectorize only in a loop of their own)
 *   SM_WIDE_VECS               optional, not VLA: rows of up to this many
 *                              vectors (<= 8) stay in registers
 *   v_store_tail(p, c, v)      optional (SM_HAVE_STORE_TAIL): v_store_part
 *                              for a row whose next row is loaded at once
 *   SM_LOG1P_LANES             optional: double lanes per log1p call
 *   v_transpose(r)             optional (SM_HAVE_TRANSPOSE), not VLA: an
 *                              SM_VW x SM_VW transpose of r[SM_VW], for
 *                              the column groups (common/columns.h)
 *
 * All floating-point code here is compiled with -ffp-contract=off, so the
 * operations below are exactly the contract's, in its order.
 */
#include "common/exp_mode.h"
#if defined(SM_SELECT_OPS)
#include "common/select_entries.h"
#elif defined(SM_STREAM_OPS)
#include "common/stream_entries.h"
#elif defined(SM_SPARSE_OPS)
#include "common/sparse_entries.h"
#elif defined(SM_GUMBEL_OPS)
#include "common/gumbel_entries.h"
#else
#include "common/exp_entries.h"
#endif
