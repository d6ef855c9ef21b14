/** One entry of a container's log, as the json-file driver keeps it. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 in UTC with nine fraction digits (docker's RFC3339NanoFixed), so times compare as strings. */
  time: string;
  /** The output, its newline included (a line cut at 16 KiB, or the last one, may have none). */
  data: Buffer;
  /** Extra attributes a json-file writer put beside the line (docker's --log-opt labels/env); berth's shim writes none. */
  attrs?: Record<string, string>;
}
