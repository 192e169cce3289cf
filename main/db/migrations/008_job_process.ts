// A job row names the process running it by more than its pid: pids are reused (quickly, in a
// container), so a job of a killed process could look alive forever. process_start is the kernel's
// start time of that process (Linux: /proc/<pid>/stat field 22) and host the machine, so on the next
// open a job whose process is gone is marked 'interrupted' (base/process-identity.ts).
export const up = `
ALTER TABLE jobs ADD COLUMN process_start TEXT;
ALTER TABLE jobs ADD COLUMN host TEXT;
`;
