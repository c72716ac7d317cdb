import { AppConfigDataClient } from '@aws-sdk/client-appconfigdata';
import { awsClientConfig } from '../shared/aws-client-config';
import { LoadedFlags } from './definitions';
import { FlagsReader } from './flags-reader';

// Module scope: the session token and the cached flags survive across warm invocations.
const reader = new FlagsReader(new AppConfigDataClient(awsClientConfig()), {
  applicationId: process.env.APPCONFIG_APPLICATION_ID ?? '',
  environmentId: process.env.APPCONFIG_ENVIRONMENT_ID ?? '',
  profileId: process.env.APPCONFIG_PROFILE_ID ?? '',
});

/** Invoked by each state machine's LoadFlags state (writes only); returns the flags as booleans and the circuit settings, or fails with FlagsUnavailable. */
export async function handler(): Promise<LoadedFlags> {
  const { flags, origin } = await reader.read();
  if (origin !== 'cache') console.log(JSON.stringify({ message: 'flags loaded', origin, flags }));
  return flags;
}
