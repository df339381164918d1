import { AppError } from '../../errors/app-error.js';
import { defineAction, readTags } from './action.js';

/** AddTagsToResource: ResourceName (the ARN of a DB instance, parameter group or DB security group), Tags. No output shape. */
export const addTagsToResourceAction = defineAction('AddTagsToResource', async ({ control, params }) => {
  const tags = readTags(params);
  if (!tags) throw new AppError('MissingParameter', 'The request must contain the parameter Tags');
  await control.addTagsToResource({ resourceName: params.requiredString('ResourceName'), tags });
  return null;
});
