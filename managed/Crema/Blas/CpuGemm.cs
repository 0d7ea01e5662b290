using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Crema.Blas;

/// <summary>The vector width of the blocked gemm's micro-kernel; <see cref="Auto"/> is the widest the CPU accelerates.</summary>
internal enum GemmKernel
{
    /// <summary>Vector512 with AVX-512, else Vector256 with AVX2, else Vector128.</summary>
    Auto,
    /// <summary>16 floats or 8 doubles per vector; 8 × 2 vectors per micro-tile (needs 32 vector registers).</summary>
    Vector512,
    /// <summary>8 floats or 4 doubles per vector; 6 × 2 vectors per micro-tile.</summary>
    Vector256,
    /// <summary>4 floats or 2 doubles per vector; 6 × 2 vectors per micro-tile; software-emulated (slow, still correct) where not accelerated.</summary>
    Vector128,
}

/// <summary>
/// The cache-blocked, register-tiled gemm of the CPU path, C = alpha op(A) op(B) + beta C, row-major. The scheme is
/// BLIS's, written for .NET:
/// <list type="bullet">
/// <item>k is cut into <c>ceil(k / KcMax)</c> blocks of near-equal length (a function of k alone). For each k block, a
/// task packs its rows of op(A) into panels of MR rows (p-major: MR values per p) and its columns of op(B) into
/// panels of NR columns (NR values per p), zero-padded at the edges. Packing absorbs the transposes; the transposing
/// copies move 8 × 8 (float) or 4 × 4 (double) blocks through AVX registers when the CPU has AVX.</item>
/// <item>The micro-kernel keeps an MR × NR tile of C in 2·MR vector registers (NR = two vectors), and per p loads two
/// vectors of B, broadcasts MR values of A and issues 2·MR fused multiply-adds. MR is 8 with Vector512 (32 registers)
/// and 6 otherwise (16 registers).</item>
/// <item>After each k block the tile is folded into C: C = alpha·acc + beta·C for the first block (alpha·acc alone
/// when beta = 0, so NaN in C does not survive), C = alpha·acc + C for the others.</item>
/// <item>When C is much narrower than NR and taller than wide (the 10-class output layer), the product is computed as
/// Cᵀ = op(B)ᵀ op(A)ᵀ, which wastes fewer padded lanes; products commute, so the bits do not change.</item>
/// </list>
/// Threads: C is cut into tiles of at most <see cref="McMax"/> rows × <see cref="NcMax"/> columns, and further (in
/// whole micro-panels) until there are two tiles per core or the tiles would fall below <see cref="MinTaskWork"/>.
/// Each tile is one <see cref="Parallel.For(int, int, Action{int})"/> iteration that packs and computes on its own,
/// so nothing is shared between threads but the read-only inputs. Every element of C is computed by the same
/// operations whatever the tiling, thread or core count: one accumulator lane per element, p increasing within a k
/// block, k blocks in order, fixed by k. Results are therefore bitwise the same from run to run and independent of
/// <see cref="Environment.ProcessorCount"/>; with FMA they are also the same for every kernel width.
/// Packing buffers are per thread, pinned, 64-byte aligned and reused: no large allocation per call.
/// </summary>
internal static unsafe class CpuGemm
{
    /// <summary>The largest k block: a packed B micro-panel (KcMax × NR: 32 KiB for float with Vector512) stays in L1.</summary>
    internal const int KcMax = 256;

    /// <summary>The most rows of C one task computes (a multiple of every MR): its packed A block stays in L2.</summary>
    internal const int McMax = 144;

    /// <summary>The most columns of C one task computes (a multiple of every NR).</summary>
    internal const int NcMax = 512;

    /// <summary>Products below this many multiply-adds (m·n·k) stay on the simple row path; packing costs more than it saves.</summary>
    internal const long MinBlockedWork = 1 << 10;

    /// <summary>
    /// Multiply-adds per task below which C is not cut further for more threads: waking a pool thread costs 10-20 µs
    /// on a small VM, about what 2M multiply-adds take on one core (measured: 128³ ran faster on one thread).
    /// </summary>
    internal const long MinTaskWork = 1 << 21;

    /// <summary>
    /// Whether hardware fused multiply-add is used (a JIT-time constant). Without it every kernel multiplies and adds
    /// with two roundings, in vector and scalar code alike, so the widths still agree bitwise.
    /// </summary>
    internal static bool UseFma => Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>The kernel <see cref="GemmKernel.Auto"/> stands for on this CPU.</summary>
    internal static GemmKernel Best =>
        Vector512.IsHardwareAccelerated ? GemmKernel.Vector512
        : Vector256.IsHardwareAccelerated ? GemmKernel.Vector256
        : GemmKernel.Vector128;

    /// <summary>
    /// Whether the blocked path pays for itself. Packing reads each operand once more, which a product needs enough
    /// rows and columns to repay. A row vector times a matrix (m ≤ 2) streams B faster row by row, and with B
    /// transposed a few columns of C (n ≤ 4) or a small C (m·n ≤ 128) are faster as contiguous dot products. Only
    /// float and double have kernels; other element types (Half, say) always take the row path.
    /// </summary>
    internal static bool IsWorthwhile<T>(Transpose transB, int m, int n, int k) =>
        (typeof(T) == typeof(float) || typeof(T) == typeof(double))
        && k >= 4 && m > 2 && (long)m * n * k >= MinBlockedWork
        && !(transB == Transpose.Trans && (n <= 4 || (long)m * n <= 128));

    /// <summary>
    /// C = alpha op(A) op(B) + beta C with the blocked kernels; A is m × k (k × m when transposed), B is k × n (n × k),
    /// C is m × n, all row-major and dense. The caller has checked the arguments and handles m = 0, n = 0, k = 0 and
    /// alpha = 0 (which must not read A or B).
    /// </summary>
    internal static void Gemm<T>(GemmKernel kernel, Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        T* a, T* b, T beta, T* c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
        {
            throw new NotSupportedException($"the blocked gemm supports float and double, not {typeof(T).Name}");
        }

        var problem = new Problem<T>(transA, transB, m, n, k, alpha, a, b, beta, c);
        switch (kernel == GemmKernel.Auto ? Best : kernel)
        {
            case GemmKernel.Vector512:
                Run<T, Simd512<T>, Vector512<T>>(problem);
                break;
            case GemmKernel.Vector256:
                Run<T, Simd256<T>, Vector256<T>>(problem);
                break;
            case GemmKernel.Vector128:
                Run<T, Simd128<T>, Vector128<T>>(problem);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "unknown gemm kernel");
        }
    }

    /// <summary>
    /// Whether to compute Cᵀ = op(B)ᵀ op(A)ᵀ instead: when that pads fewer lanes (C narrower than a micro-tile and
    /// taller than wide). A function of the shape alone.
    /// </summary>
    internal static bool ShouldSwap(int m, int n, int mr, int nr)
    {
        long Padded(int rows, int columns) => (long)((rows + mr - 1) / mr) * mr * ((columns + nr - 1) / nr) * nr;
        return n < nr && m > n && Padded(n, m) < Padded(m, n);
    }

    /// <summary>The tiling of an m × n C into tasks: (row blocks, column blocks), each a run of whole micro-panels.</summary>
    internal static (int RowBlocks, int ColumnBlocks) Partition(int m, int n, int k, int mr, int nr, int processors)
    {
        int rowPanels = (m + mr - 1) / mr;
        int columnPanels = (n + nr - 1) / nr;
        int rowBlocks = (rowPanels + (McMax / mr) - 1) / (McMax / mr);
        int columnBlocks = (columnPanels + (NcMax / nr) - 1) / (NcMax / nr);

        // Two tiles per core let a core that is busy with something else leave work to the others; tiles below
        // MinTaskWork cost more to fork and pack than they save.
        long work = (long)m * n * k;
        long wanted = Math.Min(2L * processors, Math.Max(1, work / MinTaskWork));
        while ((long)rowBlocks * columnBlocks < wanted)
        {
            // Cut the dimension whose blocks are longer; every block keeps at least one panel.
            bool canRows = rowBlocks < rowPanels;
            bool canColumns = columnBlocks < columnPanels;
            if (!canRows && !canColumns)
            {
                break;
            }

            if (canColumns && (!canRows || n / columnBlocks >= m / rowBlocks))
            {
                columnBlocks++;
            }
            else
            {
                rowBlocks++;
            }
        }

        return (rowBlocks, columnBlocks);
    }

    private static void Run<T, TSimd, TVector>(Problem<T> problem)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSimd : struct, ISimd<TVector, T>
        where TVector : unmanaged
    {
        int mr = TSimd.Rows, nr = 2 * TSimd.Lanes;
        if (ShouldSwap(problem.M, problem.N, mr, nr))
        {
            problem = problem.Transposed();
        }

        var (rowBlocks, columnBlocks) = Partition(problem.M, problem.N, problem.K, mr, nr, Environment.ProcessorCount);
        int tasks = rowBlocks * columnBlocks;
        if (tasks == 1)
        {
            RunTile<T, TSimd, TVector>(problem, 0, problem.M, 0, problem.N);
            return;
        }

        int rowPanels = (problem.M + mr - 1) / mr;
        int columnPanels = (problem.N + nr - 1) / nr;
        Parallel.For(0, tasks, task =>
        {
            // Blocks of whole panels, as even as they can be; tiles in row-major order.
            int rb = task / columnBlocks, cb = task % columnBlocks;
            int row0 = (int)((long)rowPanels * rb / rowBlocks) * mr;
            int row1 = Math.Min(problem.M, (int)((long)rowPanels * (rb + 1) / rowBlocks) * mr);
            int col0 = (int)((long)columnPanels * cb / columnBlocks) * nr;
            int col1 = Math.Min(problem.N, (int)((long)columnPanels * (cb + 1) / columnBlocks) * nr);
            RunTile<T, TSimd, TVector>(problem, row0, row1 - row0, col0, col1 - col0);
        });
    }

    /// <summary>C[row0 .. row0+rows, col0 .. col0+cols] over all of k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunTile<T, TSimd, TVector>(in Problem<T> problem, int row0, int rows, int col0, int cols)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSimd : struct, ISimd<TVector, T>
        where TVector : unmanaged
    {
        int mr = TSimd.Rows, nr = 2 * TSimd.Lanes;
        int rowPanels = (rows + mr - 1) / mr;
        int columnPanels = (cols + nr - 1) / nr;
        int k = problem.K;
        int kBlocks = (k + KcMax - 1) / KcMax;
        int kcLargest = (k + kBlocks - 1) / kBlocks;
        PackBuffers.Get((long)rowPanels * mr * kcLargest, (long)columnPanels * nr * kcLargest, out T* packA, out T* packB);
        T* tile = stackalloc T[8 * 2 * Vector512<T>.Count];

        int p0 = 0;
        for (int block = 0; block < kBlocks; block++)
        {
            // Near-equal k blocks, the first k % kBlocks of them one longer.
            int kc = (k / kBlocks) + (block < k % kBlocks ? 1 : 0);
            PackA(problem, row0, rows, p0, kc, mr, packA);
            PackB(problem, col0, cols, p0, kc, nr, packB);
            bool first = block == 0;
            var update = new TileUpdate<T>(problem.Alpha, first ? problem.Beta : T.One, first && T.IsZero(problem.Beta));
            for (int jp = 0; jp < columnPanels; jp++)
            {
                T* bPanel = packB + ((long)jp * kc * nr);
                int j = col0 + (jp * nr);
                int width = Math.Min(nr, col0 + cols - j);
                for (int ip = 0; ip < rowPanels; ip++)
                {
                    int i = row0 + (ip * mr);
                    int height = Math.Min(mr, row0 + rows - i);
                    T* aPanel = packA + ((long)ip * kc * mr);
                    if (mr == 8)
                    {
                        Kernel8<T, TSimd, TVector>(kc, aPanel, bPanel, tile);
                    }
                    else
                    {
                        Kernel6<T, TSimd, TVector>(kc, aPanel, bPanel, tile);
                    }

                    T* cTile = problem.C + (i * problem.RowStride) + (j * problem.ColumnStride);
                    if (height == mr && width == nr && problem.ColumnStride == 1)
                    {
                        UpdateFull<T, TSimd, TVector>(tile, mr, cTile, problem.RowStride, update);
                    }
                    else
                    {
                        UpdatePartial(tile, nr, cTile, problem.RowStride, problem.ColumnStride, height, width, update);
                    }
                }
            }

            p0 += kc;
        }
    }

    /// <summary>
    /// The micro-kernel, MR = 6: tile (MR × NR, row-major) = Σ_p a[p] ⊗ b[p] over kc steps, where the A panel holds MR
    /// values per p and the B panel two vectors per p. One method per MR, with the accumulators in locals so that the
    /// JIT keeps them in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6<T, TSimd, TVector>(int kc, T* a, T* b, T* tile)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSimd : struct, ISimd<TVector, T>
        where TVector : unmanaged
    {
        int lanes = TSimd.Lanes;
        TVector c00 = TSimd.Zero, c01 = TSimd.Zero;
        TVector c10 = TSimd.Zero, c11 = TSimd.Zero;
        TVector c20 = TSimd.Zero, c21 = TSimd.Zero;
        TVector c30 = TSimd.Zero, c31 = TSimd.Zero;
        TVector c40 = TSimd.Zero, c41 = TSimd.Zero;
        TVector c50 = TSimd.Zero, c51 = TSimd.Zero;
        for (int p = 0; p < kc; p++)
        {
            TVector b0 = TSimd.Load(b);
            TVector b1 = TSimd.Load(b + lanes);
            TVector x = TSimd.Broadcast(a[0]);
            c00 = TSimd.MultiplyAdd(x, b0, c00);
            c01 = TSimd.MultiplyAdd(x, b1, c01);
            x = TSimd.Broadcast(a[1]);
            c10 = TSimd.MultiplyAdd(x, b0, c10);
            c11 = TSimd.MultiplyAdd(x, b1, c11);
            x = TSimd.Broadcast(a[2]);
            c20 = TSimd.MultiplyAdd(x, b0, c20);
            c21 = TSimd.MultiplyAdd(x, b1, c21);
            x = TSimd.Broadcast(a[3]);
            c30 = TSimd.MultiplyAdd(x, b0, c30);
            c31 = TSimd.MultiplyAdd(x, b1, c31);
            x = TSimd.Broadcast(a[4]);
            c40 = TSimd.MultiplyAdd(x, b0, c40);
            c41 = TSimd.MultiplyAdd(x, b1, c41);
            x = TSimd.Broadcast(a[5]);
            c50 = TSimd.MultiplyAdd(x, b0, c50);
            c51 = TSimd.MultiplyAdd(x, b1, c51);
            a += 6;
            b += 2 * lanes;
        }

        int nr = 2 * lanes;
        TSimd.Store(c00, tile + (0 * nr));
        TSimd.Store(c01, tile + (0 * nr) + lanes);
        TSimd.Store(c10, tile + (1 * nr));
        TSimd.Store(c11, tile + (1 * nr) + lanes);
        TSimd.Store(c20, tile + (2 * nr));
        TSimd.Store(c21, tile + (2 * nr) + lanes);
        TSimd.Store(c30, tile + (3 * nr));
        TSimd.Store(c31, tile + (3 * nr) + lanes);
        TSimd.Store(c40, tile + (4 * nr));
        TSimd.Store(c41, tile + (4 * nr) + lanes);
        TSimd.Store(c50, tile + (5 * nr));
        TSimd.Store(c51, tile + (5 * nr) + lanes);
    }

    /// <summary>As <see cref="Kernel6{T, TSimd, TVector}"/> with MR = 8 (16 accumulators: needs 32 vector registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8<T, TSimd, TVector>(int kc, T* a, T* b, T* tile)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSimd : struct, ISimd<TVector, T>
        where TVector : unmanaged
    {
        int lanes = TSimd.Lanes;
        TVector c00 = TSimd.Zero, c01 = TSimd.Zero;
        TVector c10 = TSimd.Zero, c11 = TSimd.Zero;
        TVector c20 = TSimd.Zero, c21 = TSimd.Zero;
        TVector c30 = TSimd.Zero, c31 = TSimd.Zero;
        TVector c40 = TSimd.Zero, c41 = TSimd.Zero;
        TVector c50 = TSimd.Zero, c51 = TSimd.Zero;
        TVector c60 = TSimd.Zero, c61 = TSimd.Zero;
        TVector c70 = TSimd.Zero, c71 = TSimd.Zero;
        for (int p = 0; p < kc; p++)
        {
            TVector b0 = TSimd.Load(b);
            TVector b1 = TSimd.Load(b + lanes);
            TVector x = TSimd.Broadcast(a[0]);
            c00 = TSimd.MultiplyAdd(x, b0, c00);
            c01 = TSimd.MultiplyAdd(x, b1, c01);
            x = TSimd.Broadcast(a[1]);
            c10 = TSimd.MultiplyAdd(x, b0, c10);
            c11 = TSimd.MultiplyAdd(x, b1, c11);
            x = TSimd.Broadcast(a[2]);
            c20 = TSimd.MultiplyAdd(x, b0, c20);
            c21 = TSimd.MultiplyAdd(x, b1, c21);
            x = TSimd.Broadcast(a[3]);
            c30 = TSimd.MultiplyAdd(x, b0, c30);
            c31 = TSimd.MultiplyAdd(x, b1, c31);
            x = TSimd.Broadcast(a[4]);
            c40 = TSimd.MultiplyAdd(x, b0, c40);
            c41 = TSimd.MultiplyAdd(x, b1, c41);
            x = TSimd.Broadcast(a[5]);
            c50 = TSimd.MultiplyAdd(x, b0, c50);
            c51 = TSimd.MultiplyAdd(x, b1, c51);
            x = TSimd.Broadcast(a[6]);
            c60 = TSimd.MultiplyAdd(x, b0, c60);
            c61 = TSimd.MultiplyAdd(x, b1, c61);
            x = TSimd.Broadcast(a[7]);
            c70 = TSimd.MultiplyAdd(x, b0, c70);
            c71 = TSimd.MultiplyAdd(x, b1, c71);
            a += 8;
            b += 2 * lanes;
        }

        int nr = 2 * lanes;
        TSimd.Store(c00, tile + (0 * nr));
        TSimd.Store(c01, tile + (0 * nr) + lanes);
        TSimd.Store(c10, tile + (1 * nr));
        TSimd.Store(c11, tile + (1 * nr) + lanes);
        TSimd.Store(c20, tile + (2 * nr));
        TSimd.Store(c21, tile + (2 * nr) + lanes);
        TSimd.Store(c30, tile + (3 * nr));
        TSimd.Store(c31, tile + (3 * nr) + lanes);
        TSimd.Store(c40, tile + (4 * nr));
        TSimd.Store(c41, tile + (4 * nr) + lanes);
        TSimd.Store(c50, tile + (5 * nr));
        TSimd.Store(c51, tile + (5 * nr) + lanes);
        TSimd.Store(c60, tile + (6 * nr));
        TSimd.Store(c61, tile + (6 * nr) + lanes);
        TSimd.Store(c70, tile + (7 * nr));
        TSimd.Store(c71, tile + (7 * nr) + lanes);
    }

    /// <summary>A whole MR × NR tile into a C with unit column stride, with vectors; the same arithmetic as <see cref="UpdatePartial"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateFull<T, TSimd, TVector>(T* tile, int mr, T* c, long ldc, TileUpdate<T> update)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TSimd : struct, ISimd<TVector, T>
        where TVector : unmanaged
    {
        int lanes = TSimd.Lanes;
        TVector alphas = TSimd.Broadcast(update.Alpha), betas = TSimd.Broadcast(update.Beta);
        for (int r = 0; r < mr; r++)
        {
            T* cRow = c + (r * ldc);
            T* tRow = tile + (r * 2 * lanes);
            for (int v = 0; v < 2 * lanes; v += lanes)
            {
                TVector acc = TSimd.Load(tRow + v);
                TVector result = update.Overwrite ? TSimd.Multiply(acc, alphas)
                    : update.Beta == T.One ? TSimd.MultiplyAdd(acc, alphas, TSimd.Load(cRow + v))
                    : TSimd.MultiplyAdd(acc, alphas, TSimd.Multiply(TSimd.Load(cRow + v), betas));
                TSimd.Store(result, cRow + v);
            }
        }
    }

    /// <summary>The valid height × width corner of a tile into C (any strides), element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdatePartial<T>(T* tile, int nr, T* c, long rowStride, long columnStride, int height, int width,
        TileUpdate<T> update)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < height; r++)
        {
            T* cRow = c + (r * rowStride);
            T* tRow = tile + (r * nr);
            for (int j = 0; j < width; j++)
            {
                T* target = cRow + (j * columnStride);
                *target = update.Overwrite ? tRow[j] * update.Alpha
                    : update.Beta == T.One ? MultiplyAdd(tRow[j], update.Alpha, *target)
                    : MultiplyAdd(tRow[j], update.Alpha, *target * update.Beta);
            }
        }
    }

    /// <summary>x·y + z rounded as the vector kernels round it: once with FMA, twice without.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MultiplyAdd<T>(T x, T y, T z)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        UseFma ? T.FusedMultiplyAdd(x, y, z) : (x * y) + z;

    /// <summary>
    /// op(A)[row0 .. row0+rows, p0 .. p0+kc] into panels of MR rows: panel q holds, for each p, the MR values of its
    /// rows (zero past the last row).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA<T>(in Problem<T> problem, int row0, int rows, int p0, int kc, int mr, T* destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i += mr)
        {
            int height = Math.Min(mr, rows - i);
            T* panel = destination + ((long)(i / mr) * kc * mr);
            if (problem.TransA == Transpose.NoTrans)
            {
                // Row i of op(A) is contiguous in A: the panel is a transposed copy of MR rows.
                TransposeInto(problem.A + ((row0 + i) * problem.Lda) + p0, problem.Lda, height, kc, panel, mr);
            }
            else
            {
                // The MR values of op(A)'s column p are contiguous in A's row p.
                CopyInto(problem.A + (p0 * problem.Lda) + row0 + i, problem.Lda, kc, height, panel, mr);
            }
        }
    }

    /// <summary>
    /// op(B)[p0 .. p0+kc, col0 .. col0+cols] into panels of NR columns: panel q holds, for each p, the NR values of
    /// its columns (zero past the last column).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB<T>(in Problem<T> problem, int col0, int cols, int p0, int kc, int nr, T* destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int j = 0; j < cols; j += nr)
        {
            int width = Math.Min(nr, cols - j);
            T* panel = destination + ((long)(j / nr) * kc * nr);
            if (problem.TransB == Transpose.NoTrans)
            {
                // op(B)'s row p is contiguous in B.
                CopyInto(problem.B + (p0 * problem.Ldb) + col0 + j, problem.Ldb, kc, width, panel, nr);
            }
            else
            {
                // op(B)'s column j is B's row j: the panel is a transposed copy of NR rows.
                TransposeInto(problem.B + ((col0 + j) * problem.Ldb) + p0, problem.Ldb, width, kc, panel, nr);
            }
        }
    }

    /// <summary>
    /// destination[r·width + x] = source[r·stride + x] for r &lt; count, x &lt; used; zero for used ≤ x &lt; width.
    /// </summary>
    private static void CopyInto<T>(T* source, long stride, int count, int used, T* destination, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < count; r++)
        {
            T* src = source + (r * stride);
            T* dst = destination + ((long)r * width);
            new ReadOnlySpan<T>(src, used).CopyTo(new Span<T>(dst, used));
            if (used < width)
            {
                new Span<T>(dst + used, width - used).Clear();
            }
        }
    }

    /// <summary>
    /// destination[p·width + x] = source[x·stride + p] for x &lt; used, p &lt; count; zero for used ≤ x &lt; width.
    /// Whole 32-byte blocks go through <see cref="TransposeBlock{T}"/> when the CPU has AVX.
    /// </summary>
    private static void TransposeInto<T>(T* source, long stride, int used, int count, T* destination, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = Vector256<T>.Count;
        int x = 0;
        if (Avx.IsSupported)
        {
            int wholeP = count - (count % block);
            for (; x + block <= used; x += block)
            {
                T* src = source + (x * stride);
                T* dst = destination + x;
                int p = 0;
                for (; p < wholeP; p += block)
                {
                    TransposeBlock(src + p, stride, dst + ((long)p * width), width);
                }

                for (; p < count; p++)
                {
                    for (int y = 0; y < block; y++)
                    {
                        dst[((long)p * width) + y] = src[(y * stride) + p];
                    }
                }
            }
        }

        // The columns left over and the zero padding, p by p so that the writes are contiguous.
        if (x < width)
        {
            for (int p = 0; p < count; p++)
            {
                T* dst = destination + ((long)p * width);
                for (int y = x; y < used; y++)
                {
                    dst[y] = source[(y * stride) + p];
                }

                if (used < width)
                {
                    new Span<T>(dst + Math.Max(x, used), width - Math.Max(x, used)).Clear();
                }
            }
        }
    }

    /// <summary>
    /// A square block of one Vector256 per row (8 × 8 floats or 4 × 4 doubles): destination[c·dstStride + r] =
    /// source[r·srcStride + c]. The usual unpack / shuffle / 128-bit permute network; AVX only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeBlock<T>(T* source, long sourceStride, T* destination, long destinationStride)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float* s = (float*)source, d = (float*)destination;
            var r0 = Avx.LoadVector256(s);
            var r1 = Avx.LoadVector256(s + sourceStride);
            var r2 = Avx.LoadVector256(s + (2 * sourceStride));
            var r3 = Avx.LoadVector256(s + (3 * sourceStride));
            var r4 = Avx.LoadVector256(s + (4 * sourceStride));
            var r5 = Avx.LoadVector256(s + (5 * sourceStride));
            var r6 = Avx.LoadVector256(s + (6 * sourceStride));
            var r7 = Avx.LoadVector256(s + (7 * sourceStride));

            // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped into place.
            var t0 = Avx.UnpackLow(r0, r1);
            var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5);
            var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7);
            var t7 = Avx.UnpackHigh(r6, r7);
            var u0 = Avx.Shuffle(t0, t2, 0x44);
            var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44);
            var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44);
            var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44);
            var u7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + destinationStride, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + (2 * destinationStride), Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + (3 * destinationStride), Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + (4 * destinationStride), Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + (5 * destinationStride), Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + (6 * destinationStride), Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + (7 * destinationStride), Avx.Permute2x128(u3, u7, 0x31));
        }
        else
        {
            double* s = (double*)source, d = (double*)destination;
            var r0 = Avx.LoadVector256(s);
            var r1 = Avx.LoadVector256(s + sourceStride);
            var r2 = Avx.LoadVector256(s + (2 * sourceStride));
            var r3 = Avx.LoadVector256(s + (3 * sourceStride));
            var t0 = Avx.UnpackLow(r0, r1);
            var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            Avx.Store(d, Avx.Permute2x128(t0, t2, 0x20));
            Avx.Store(d + destinationStride, Avx.Permute2x128(t1, t3, 0x20));
            Avx.Store(d + (2 * destinationStride), Avx.Permute2x128(t0, t2, 0x31));
            Avx.Store(d + (3 * destinationStride), Avx.Permute2x128(t1, t3, 0x31));
        }
    }

    /// <summary>How a tile folds into C for one k block.</summary>
    private readonly record struct TileUpdate<T>(T Alpha, T Beta, bool Overwrite);

    /// <summary>
    /// One gemm call's operands with explicit strides: element (i, p) of op(A) is A[i·Lda + p] or A[p·Lda + i] when
    /// transposed (likewise B), element (i, j) of C is C[i·RowStride + j·ColumnStride].
    /// </summary>
    private readonly struct Problem<T>
        where T : unmanaged
    {
        public readonly Transpose TransA;
        public readonly Transpose TransB;
        public readonly int M;
        public readonly int N;
        public readonly int K;
        public readonly T Alpha;
        public readonly T Beta;
        public readonly T* A;
        public readonly T* B;
        public readonly T* C;
        public readonly long Lda;
        public readonly long Ldb;
        public readonly long RowStride;
        public readonly long ColumnStride;

        public Problem(Transpose transA, Transpose transB, int m, int n, int k, T alpha, T* a, T* b, T beta, T* c)
            : this(transA, transB, m, n, k, alpha, a, b, beta, c,
                  transA == Transpose.NoTrans ? k : m, transB == Transpose.NoTrans ? n : k, n, 1)
        {
        }

        private Problem(Transpose transA, Transpose transB, int m, int n, int k, T alpha, T* a, T* b, T beta, T* c,
            long lda, long ldb, long rowStride, long columnStride)
        {
            (TransA, TransB, M, N, K, Alpha, Beta) = (transA, transB, m, n, k, alpha, beta);
            A = a;
            B = b;
            C = c;
            (Lda, Ldb, RowStride, ColumnStride) = (lda, ldb, rowStride, columnStride);
        }

        /// <summary>Cᵀ = op(B)ᵀ op(A)ᵀ: op(B)ᵀ is B read with the other transpose, and C is walked column-wise.</summary>
        public Problem<T> Transposed() => new(Flip(TransB), Flip(TransA), N, M, K, Alpha, B, A, Beta, C,
            Ldb, Lda, ColumnStride, RowStride);

        private static Transpose Flip(Transpose t) => t == Transpose.NoTrans ? Transpose.Trans : Transpose.NoTrans;
    }

    /// <summary>
    /// Each thread's packing buffers: one pinned array (pinned-object heap, never moves) that grows on demand and is
    /// reused by every later call on that thread; the GC frees it with the thread.
    /// </summary>
    private static class PackBuffers
    {
        private const int Alignment = 64;

        [ThreadStatic]
        private static byte[]? storage;

        /// <summary>Two 64-byte aligned regions of aElements and bElements values, valid until this thread's next call.</summary>
        internal static void Get<T>(long aElements, long bElements, out T* a, out T* b)
            where T : unmanaged
        {
            long aBytes = AlignUp(aElements * sizeof(T));
            long needed = aBytes + AlignUp(bElements * sizeof(T)) + Alignment;
            if (storage is null || storage.LongLength < needed)
            {
                storage = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(needed, 1L << 20)), pinned: true);
            }

            byte* aligned = (byte*)AlignUp((long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(storage)));
            a = (T*)aligned;
            b = (T*)(aligned + aBytes);
        }

        private static long AlignUp(long value) => (value + Alignment - 1) & ~(long)(Alignment - 1);
    }
}

/// <summary>The vector operations the gemm kernels need, over one vector type; implemented per width.</summary>
internal unsafe interface ISimd<TVector, T>
    where TVector : unmanaged
    where T : unmanaged
{
    /// <summary>Values per vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>MR: rows of C per micro-tile, as many as the vector registers hold (2·MR accumulators + 3).</summary>
    static abstract int Rows { get; }

    /// <summary>All zero.</summary>
    static abstract TVector Zero { get; }

    /// <summary>Lanes values from source (no alignment needed).</summary>
    static abstract TVector Load(T* source);

    /// <summary>The vector's values to destination (no alignment needed).</summary>
    static abstract void Store(TVector value, T* destination);

    /// <summary>Every lane = value.</summary>
    static abstract TVector Broadcast(T value);

    /// <summary>x·y per lane.</summary>
    static abstract TVector Multiply(TVector x, TVector y);

    /// <summary>x·y + z per lane: fused when <see cref="CpuGemm.UseFma"/>, else two roundings.</summary>
    static abstract TVector MultiplyAdd(TVector x, TVector y, TVector z);
}

/// <summary><see cref="ISimd{TVector, T}"/> on <see cref="Vector512{T}"/>; 32 registers (AVX-512): MR = 8.</summary>
internal readonly unsafe struct Simd512<T> : ISimd<Vector512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Lanes => Vector512<T>.Count;

    public static int Rows => 8;

    public static Vector512<T> Zero => Vector512<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(T* source) => Vector512.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<T> value, T* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> x, Vector512<T> y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (!CpuGemm.UseFma)
        {
            return (x * y) + z;
        }

        return typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}

/// <summary><see cref="ISimd{TVector, T}"/> on <see cref="Vector256{T}"/>; 16 registers: MR = 6.</summary>
internal readonly unsafe struct Simd256<T> : ISimd<Vector256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Lanes => Vector256<T>.Count;

    public static int Rows => 6;

    public static Vector256<T> Zero => Vector256<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(T* source) => Vector256.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<T> value, T* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> x, Vector256<T> y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        if (!CpuGemm.UseFma)
        {
            return (x * y) + z;
        }

        return typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}

/// <summary><see cref="ISimd{TVector, T}"/> on <see cref="Vector128{T}"/>; the portable width; MR = 6.</summary>
internal readonly unsafe struct Simd128<T> : ISimd<Vector128<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Lanes => Vector128<T>.Count;

    public static int Rows => 6;

    public static Vector128<T> Zero => Vector128<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Load(T* source) => Vector128.Load(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<T> value, T* destination) => value.Store(destination);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Broadcast(T value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Multiply(Vector128<T> x, Vector128<T> y) => x * y;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> x, Vector128<T> y, Vector128<T> z)
    {
        if (!CpuGemm.UseFma)
        {
            return (x * y) + z;
        }

        return typeof(T) == typeof(float)
            ? Vector128.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector128.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}
