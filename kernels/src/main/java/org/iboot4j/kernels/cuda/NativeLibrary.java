package org.iboot4j.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

/**
 * A shared library opened with the FFM API, found by the first of several sonames that the
 * dynamic loader resolves (so {@code LD_LIBRARY_PATH}, the ld.so cache and RPATHs all work as
 * for any C program). Binds C functions to {@link MethodHandle}s by name and signature.
 *
 * <p>The library stays loaded for the life of the JVM (the global arena): cuBLAS and cuDNN
 * hold device state that must not disappear under a live handle.
 */
@SuppressWarnings("restricted") // FFM downcalls and foreign pointers: the point of this class
public final class NativeLibrary {
    private static final Linker LINKER = Linker.nativeLinker();

    private final String soname;
    private final SymbolLookup lookup;

    private NativeLibrary(String soname, SymbolLookup lookup) {
        this.soname = soname;
        this.lookup = lookup;
    }

    /**
     * The first of {@code sonames} that loads, or empty when none does. Never throws for a
     * missing library: absence is an ordinary answer (the backend then reports itself
     * unavailable).
     */
    public static Optional<NativeLibrary> open(List<String> sonames) {
        for (String name : sonames) {
            try {
                return Optional.of(new NativeLibrary(name, SymbolLookup.libraryLookup(name, Arena.global())));
            } catch (IllegalArgumentException | IllegalCallerException notThere) {
                // dlopen failed (not found, or a dependency missing): try the next name
            }
        }
        return Optional.empty();
    }

    /** Whether the dynamic loader can open {@code soname} (loads it as a side effect). */
    public static boolean isLoadable(String soname) {
        return open(List.of(soname)).isPresent();
    }

    /** The soname that was opened, e.g. {@code libcublas.so.13}. */
    public String soname() {
        return soname;
    }

    /** Whether the library exports {@code symbol}. */
    public boolean has(String symbol) {
        return lookup.find(symbol).isPresent();
    }

    /** The address of {@code symbol}; a clear error naming library and symbol when absent. */
    public MemorySegment symbol(String symbol) {
        return lookup.find(symbol).orElseThrow(() -> new MissingSymbolException(soname, symbol));
    }

    /** A downcall handle for the C function {@code symbol} with signature {@code descriptor}. */
    public MethodHandle bind(String symbol, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(symbol), descriptor);
    }

    /** As {@link #bind}, or empty when the library lacks the symbol (optional entry points). */
    public Optional<MethodHandle> bindOptional(String symbol, FunctionDescriptor descriptor) {
        return lookup.find(symbol).map(s -> LINKER.downcallHandle(s, descriptor));
    }

    @Override
    public String toString() {
        return soname;
    }

    /** A library that loaded but lacks a function we bind (too old, or not what it claims). */
    public static final class MissingSymbolException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        MissingSymbolException(String soname, String symbol) {
            super(soname + " has no symbol " + symbol);
        }
    }
}
