package org.iboot4j.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;

import java.util.EnumMap;
import java.util.Map;
import jcuda.driver.CUfunction;
import org.iboot4j.kernels.ptx.KernelCatalogue;
import org.iboot4j.kernels.ptx.KernelCatalogue.Kernel;
import org.iboot4j.kernels.ptx.PtxModule;

/**
 * The hand-written PTX modules, JIT-compiled on first use (one module per kernel family), and
 * the launch helper: {@code kernels.launch(KernelArgs.of(k).ptr(out).ptr(x).struct(geom), shape)}.
 * Every launch's return code is checked and a failure names the kernel, its launch shape and
 * its arguments. With {@code -Diboot.cuda.syncLaunches=true} each launch is followed by a stream
 * synchronisation, so an asynchronous fault (an illegal address) is reported at the kernel that
 * caused it rather than at some later call.
 */
public final class Kernels implements AutoCloseable {
    private static final boolean SYNC_LAUNCHES = Boolean.getBoolean("iboot.cuda.syncLaunches");

    private final CudaContext context;
    private final Map<PtxModule, CudaModule> modules = new EnumMap<>(PtxModule.class);

    public Kernels(CudaContext context) {
        this.context = context;
    }

    /** The kernel called {@code name} in the catalogue. */
    public static Kernel kernel(String name) {
        return KernelCatalogue.get(name);
    }

    /** Arguments for the kernel called {@code name}. */
    public static KernelArgs args(String name) {
        return KernelArgs.of(KernelCatalogue.get(name));
    }

    /** The loaded module of {@code m}, JIT-compiling it on first use. */
    public synchronized CudaModule module(PtxModule m) {
        CudaModule loaded = modules.get(m);
        if (loaded == null) {
            context.makeCurrent();
            loaded = CudaModule.load(m.name().toLowerCase(java.util.Locale.ROOT), m.source());
            modules.put(m, loaded);
        }
        return loaded;
    }

    /** Loads every module now (the self-test does, so that a PTX error shows up first). */
    public void loadAll() {
        for (PtxModule m : PtxModule.values()) module(m);
    }

    public CUfunction function(Kernel k) {
        return module(k.module()).function(k.name());
    }

    /** Queues {@code args.kernel()} on the context's stream with {@code shape}; checks the result. */
    public void launch(KernelArgs args, LaunchShape shape) {
        args.requireComplete();
        Kernel k = args.kernel();
        CUfunction f = function(k);
        context.makeCurrent();
        int r = cuLaunchKernel(f, shape.gridX(), shape.gridY(), shape.gridZ(), shape.blockX(), shape.blockY(),
                shape.blockZ(), 0, context.stream().jcuda(), args.toJCuda(), null);
        if (r != Driver.SUCCESS) throw new CudaException(launchFailure(k.name(), shape, args, r, "cuLaunchKernel"), r);
        if (SYNC_LAUNCHES) {
            try {
                context.stream().synchronize();
            } catch (CudaException e) {
                throw new CudaException(launchFailure(k.name(), shape, args, e.code(), "kernel execution"), e.code());
            }
        }
    }

    static String launchFailure(String kernel, LaunchShape shape, KernelArgs args, int result, String stage) {
        return stage + " of " + kernel + shape + " failed: " + Driver.name(result) + "; args: " + args.describe();
    }

    @Override
    public synchronized void close() {
        for (CudaModule m : modules.values()) m.close();
        modules.clear();
    }
}
