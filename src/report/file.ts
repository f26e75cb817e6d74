/** The record of a synth, written by the pack into the cloud assembly and read by `cdk-catalogue report`. */
export const REPORT_FILE = 'catalogue-report.json';
