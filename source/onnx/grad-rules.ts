/**
 * Loads every gradient rule and contrib-op decomposition into the registries (import for side effects).
 */
import './rules/elementwise.js';
import './rules/reduce.js';
import './rules/shape.js';
import './rules/indexing.js';
import './rules/math.js';
import './rules/nn.js';
import './rules/contrib.js';
import './rules/rotary.js';
