/** One DB event (DescribeEvents), as recorded by control/events.ts. */
export interface DbEvent {
  sourceIdentifier: string;
  sourceType: 'db-instance' | 'db-parameter-group' | 'db-security-group' | 'db-snapshot' | 'db-cluster';
  message: string;
  eventCategories: string[];
  date: Date;
  sourceArn: string;
}
