export { waive, Waivers, WAIVER_METADATA_TYPE } from './waive';
export type { WaiverProps } from './waive';
export { formatWaiverText, parseWaiverText } from './text';
export type { WaiverText } from './text';
