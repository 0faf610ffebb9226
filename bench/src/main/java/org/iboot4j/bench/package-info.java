/**
 * JMH benchmarks and the side-by-side comparison harness against PyTorch (a later issue).
 */
package org.iboot4j.bench;
