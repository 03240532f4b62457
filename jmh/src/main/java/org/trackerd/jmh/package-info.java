/**
 * JMH suites for the hot paths and the end-to-end load generator.
 */
package org.trackerd.jmh;
