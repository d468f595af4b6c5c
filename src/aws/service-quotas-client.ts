/** The Service Quotas client (pre-flight: spot quota per planned instance type), built once per process. */
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { memo } from './memo';

export const serviceQuotasClient = memo(() => new ServiceQuotasClient({}));
