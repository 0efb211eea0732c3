/* provenance.h: where a value came from. The precedence of job values is this order reversed:
 * a flag beats the config, the config beats what the log printed, the log beats a preset, a
 * preset beats a default; computed values are derived from the others. Names: job.h's
 * tm_src_name(). A header of its own so that the option system (opt.h) and the job (job.h) can
 * both speak of it without depending on each other.
 */
#ifndef TRAINMON_PROVENANCE_H
#define TRAINMON_PROVENANCE_H

enum tm_src_kind { TM_SRC_NONE = 0, TM_SRC_DEFAULT, TM_SRC_PRESET, TM_SRC_LOG, TM_SRC_FILENAME,
	TM_SRC_CONFIG, TM_SRC_FLAG, TM_SRC_COMPUTED };

#endif
