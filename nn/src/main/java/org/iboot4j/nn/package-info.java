/**
 * Modules, parameters and state dicts, layers, the Slow-R50 and ViT-B/16 models, safetensors I/O,
 * checkpoint key mappers, optimisers and learning-rate schedules (a later issue).
 */
package org.iboot4j.nn;
