/**
 * The study's metric keys that are not plain identifiers, declared once. They are the exact field names the study's
 * workers write (AI-for-Astronomy `aws/` inference: name plus unit), so records stay comparable with its results.
 */
export const CPU_TIME = 'total_cpu_time (seconds)';
export const CPU_MEMORY = 'total_cpu_memory (MB)';
export const EXECUTION_TIME = 'execution_time (seconds/batch)';
