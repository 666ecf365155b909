/**
 * The runs of pipelines. A <em>pipeline</em> is what is defined (built in, configured or posted);
 * a <em>run</em> is one Spark streaming query of it, from its start to its stop or failure. The
 * REST paths ({@code /api/queries}) and metric tags ({@code query}) keep their names for the users
 * who have them.
 */
package dev.sluice.run;
