import { paginate, readPageRequest } from '../paging.js';
import { writeEventMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/**
 * DescribeEvents: SourceIdentifier, SourceType, StartTime, EndTime, Duration (minutes),
 * EventCategories, MaxRecords (20..100), Marker. Oldest first, as RDS.
 */
export const describeEventsAction = defineAction('DescribeEvents', async ({ control, params }) => {
  refuseFilters(params, 'DescribeEvents');
  const page = readPageRequest(params);
  const events = await control.describeEvents({
    sourceIdentifier: params.string('SourceIdentifier'),
    sourceType: params.string('SourceType'),
    startTime: params.timestamp('StartTime'),
    endTime: params.timestamp('EndTime'),
    durationMinutes: params.integer('Duration'),
    eventCategories: params.stringList('EventCategories', 'EventCategory'),
  });
  const { items, marker } = paginate(events, (e) => e.date.toISOString(), page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('Events', 'Event', items, writeEventMembers);
  };
});
