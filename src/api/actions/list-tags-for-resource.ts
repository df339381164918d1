import { writeTagList } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/** ListTagsForResource: ResourceName (an ARN); Filters, which RDS documents as not supported, are refused. */
export const listTagsForResourceAction = defineAction('ListTagsForResource', async ({ control, params }) => {
  refuseFilters(params, 'ListTagsForResource');
  const tags = await control.listTagsForResource({ resourceName: params.requiredString('ResourceName') });
  return (w) => writeTagList(w, tags);
});
