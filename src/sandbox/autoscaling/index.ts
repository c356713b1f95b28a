// Auto Scaling Query API (2011-01-01) dispatch: Action -> handler -> `<ActionResponse><ActionResult>` XML.
// Every request first lets the controller catch up, so what a caller reads is the group's current state.
import { ApiError } from '../errors.js';
import type { Params } from '../ec2/params.js';
import { esc, toXml, xmlDoc, type XmlObject } from '../xml.js';
import type { Sandbox } from '../world.js';
import { reconcile } from './controller.js';
import {
  createAutoScalingGroup, deleteAutoScalingGroup, deleteScheduledAction, describeAutoScalingGroups, describeAutoScalingInstances,
  describeScalingActivities, describeScheduledActions, putScheduledUpdateGroupAction, setDesiredCapacity,
  terminateInstanceInAutoScalingGroup, updateAutoScalingGroup,
} from './groups.js';

export const AUTOSCALING_NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';
export const AUTOSCALING_VERSION = '2011-01-01';

type Handler = (s: Sandbox, region: string, p: Params) => object | undefined | Promise<object | undefined>;
const ACTIONS: Record<string, Handler> = {
  CreateAutoScalingGroup: createAutoScalingGroup,
  UpdateAutoScalingGroup: updateAutoScalingGroup,
  DeleteAutoScalingGroup: deleteAutoScalingGroup,
  DescribeAutoScalingGroups: describeAutoScalingGroups,
  DescribeAutoScalingInstances: describeAutoScalingInstances,
  SetDesiredCapacity: setDesiredCapacity,
  DescribeScalingActivities: describeScalingActivities,
  TerminateInstanceInAutoScalingGroup: terminateInstanceInAutoScalingGroup,
  PutScheduledUpdateGroupAction: putScheduledUpdateGroupAction,
  DeleteScheduledAction: deleteScheduledAction,
  DescribeScheduledActions: describeScheduledActions,
};

export const AUTOSCALING_MUTATING = /^(Create|Update|Delete|Set|Terminate|Put)/;

export async function handleAutoScaling(s: Sandbox, region: string, p: Params, action: string, requestId: string): Promise<string> {
  const h = ACTIONS[action];
  if (!h) throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const version = p.str('Version');
  if (version !== AUTOSCALING_VERSION) throw new ApiError('InvalidParameterValue', `Unsupported API version ${version ?? '(none)'}; the sandbox speaks ${AUTOSCALING_VERSION}.`);
  await reconcile(s);
  const result = (await h(s, region, p)) as XmlObject | undefined;
  // The change is acted on at once (launches, terminations), as the service starts its activities.
  if (AUTOSCALING_MUTATING.test(action)) await reconcile(s);
  const body = result ? `<${action}Result>${toXml(result, false)}</${action}Result>` : '';
  return xmlDoc(`${action}Response`, AUTOSCALING_NS, `${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>`);
}

export function autoScalingErrorXml(e: ApiError, requestId: string): string {
  const type = e.status >= 500 ? 'Receiver' : 'Sender';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${AUTOSCALING_NS}"><Error><Type>${type}</Type><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
