/** The Service Quotas client (pre-flight: spot quota per planned instance type). */
import { ServiceQuotasClient, type ServiceQuotasClientConfig } from '@aws-sdk/client-service-quotas';

export const createServiceQuotasClient = (config: ServiceQuotasClientConfig = {}): ServiceQuotasClient => new ServiceQuotasClient(config);
