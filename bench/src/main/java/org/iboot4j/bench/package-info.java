/**
 * JMH benchmarks of the engine's hot ops and the side-by-side comparison harnesses against
 * PyTorch (ops) and torchvision (video loading).
 *
 * <ul>
 *   <li>{@link org.iboot4j.bench.ShapeTable} reads {@code shapes.txt} (next to these classes), the
 *       one list of shapes that the benchmarks, the harness and {@code bench/compare_torch.py} use.
 *   <li>{@link org.iboot4j.bench.Workload} builds the inputs of one (op, shape) case and runs it
 *       once; the JMH benchmarks ({@code *Benchmark}) and {@link org.iboot4j.bench.CompareMain}
 *       time the same workloads; {@link org.iboot4j.bench.ModelForward} builds those of whole
 *       networks (ViT-B/16, Slow-R50) from the {@code nn} module.
 *   <li>{@link org.iboot4j.bench.CompareMain} times the engine with the same protocol as
 *       {@code compare_torch.py} and writes the side-by-side table ({@code bench/compare.sh}).
 *   <li>{@link org.iboot4j.bench.LoaderCompareMain} measures video loading (decode + augment,
 *       clips/s) through iboot4j's loader and through torchvision ({@code bench/loader_torch.py})
 *       on the same files and writes {@link org.iboot4j.bench.LoaderTable}'s table
 *       ({@code bench/loader-compare.sh}).
 * </ul>
 */
package org.iboot4j.bench;
